"""vm: each node is a qemu VM with its own Debian kernel (IPVS, so the routing mesh works).

Machines only, like dind. Everything a lab owns lives in its folder
(``~/.cache/swarmlab/vm/labs/<lab>/``): one record, disk overlay, pid file, serial log and
monitor socket per node, and the private switch. That folder is the lab's only record;
``delete`` kills the processes named there (``processes.py``: after checking who they
are) and removes it.

Network per node (``qemu.py``): a user-mode NIC (no host interface, ``restrict=on``: no
way out) whose doors are SSH forwarded to 127.0.0.1, and the published ports a learner
opens (``reach``: forwards to 127.0.0.1 added through the monitor, ``monitor.py``); and a
private L2 segment between the lab's VMs through ``vde_switch``, where the swarm runs.
KVM is used when a probe boot shows that it works, TCG otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from swarmlab.errors import (
    CapabilityMissing,
    ClusterNotFound,
    ConnectError,
    ProviderError,
    WaitTimeout,
)
from swarmlab.images import vm as vmimage
from swarmlab.keys import lab_key
from swarmlab.node import Node, order_key
from swarmlab.paths import cache_dir, cache_root, known_hosts_path, private_dir
from swarmlab.progress import Steps
from swarmlab.providers.base import HostEngineImages
from swarmlab.providers.common import node_address as address_in
from swarmlab.providers.common import parallel, require_memory, wait_engine
from swarmlab.providers.vm import monitor, processes, qemu
from swarmlab.spec import ClusterSpec, NodeSpec
from swarmlab.transport.ssh import SSHTransport

SUBNET = "192.168.77"  # one private switch per lab, so every lab may use the same /24
MEMORY_MB = int(os.environ.get("SWARMLAB_VM_MEMORY", "1024"))
BOOT_TIMEOUT = float(os.environ.get("SWARMLAB_VM_BOOT_TIMEOUT", "420"))


def node_address(node: NodeSpec) -> str:
    """The node's address on the lab's private switch."""
    return address_in(SUBNET, node)


def labs_dir() -> Path:
    """The folder holding one folder per VM lab."""
    return cache_dir("vm", "labs")


class VmProvider(HostEngineImages):
    """Nodes as qemu VMs booted from one cached Debian image, one overlay each."""

    name = "vm"
    load_timeout = 600  # a Docker CLI on an emulated CPU is slow

    def __init__(self, client: Any = None, memory_mb: int = MEMORY_MB, *, cpus: int = 1,
                 flavor: str = vmimage.DEFAULT_FLAVOR, base_disk: Path | None = None) -> None:
        """``flavor``: the image's (``vm_recipe.FLAVORS``); ``base_disk``: a disk of that
        image (a qcow2 overlay of it, kept from an earlier VM) that new VMs start from
        instead of the image's own disk."""
        self._client = client
        self.memory_mb, self.cpus = memory_mb, cpus
        self.flavor, self.base_disk = flavor, base_disk

    def check_capacity(self, count: int) -> None:
        """Tools present and memory enough for ``count`` VMs, before anything is made."""
        missing = vmimage.tools_missing()
        if missing:
            raise CapabilityMissing(
                f"VM labs need {', '.join(missing)} on this host: `apt-get install "
                f"{' '.join(missing)}` (the kit's install step does it)."
            )
        require_memory(count * (self.memory_mb + 200), f"{count} VMs need about {{need}} MiB "
                       "and this host has {free} MiB free. Ask for fewer nodes, or less "
                       "memory per VM (SWARMLAB_VM_MEMORY=768).")

    # ----- records ----------------------------------------------------------------------
    def _dir(self, lab: str) -> Path:
        return labs_dir() / lab

    def _records(self, lab: str) -> list[dict[str, Any]]:
        d = self._dir(lab)
        recs = [json.loads(p.read_text()) for p in d.glob("*.json")] if d.is_dir() else []
        return sorted(recs, key=lambda r: order_key(r["name"], r["role"]))

    def _record(self, lab: str, node: str) -> dict[str, Any]:
        p = self._dir(lab) / f"{node}.json"
        if not p.is_file():
            names = ", ".join(r["name"] for r in self._records(lab)) or "none"
            raise ClusterNotFound(f"Lab {lab!r} has no VM {node!r}. Its VMs: {names}.")
        rec: dict[str, Any] = json.loads(p.read_text())
        return rec

    def _save(self, lab: str, rec: dict[str, Any]) -> None:
        (private_dir(self._dir(lab)) / f"{rec['name']}.json").write_text(json.dumps(rec, indent=1))

    def labs(self) -> list[str]:
        """Labs with a folder holding at least one VM record."""
        return sorted(p.name for p in labs_dir().iterdir() if any(p.glob("*.json")))

    def find(self, lab: str) -> list[Node]:
        """The lab's VMs from their records, managers first."""
        return [self._node(lab, r) for r in self._records(lab)]

    def _node(self, lab: str, rec: dict[str, Any]) -> Node:
        key, _ = lab_key(lab)
        t = SSHTransport("127.0.0.1", port=rec["ssh_port"], key_path=key,
                         known_hosts=known_hosts_path(lab), node=rec["name"])
        return Node(rec["name"], rec["role"], rec["address"], t, f"vm:{lab}/{rec['name']}")

    def states(self, lab: str) -> dict[str, str]:
        """Node -> running (its qemu lives) or exited."""
        d = self._dir(lab)
        return {r["name"]: "running" if processes.alive(d / f"{r['name']}.pid", d) else "exited"
                for r in self._records(lab)}

    # ----- creating -----------------------------------------------------------------------
    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        """Boot one VM per node from the cached image, then wait for SSH and dockerd."""
        image, accel = self._prepare(len(spec.nodes), steps)
        qemu.ensure_switch(self._dir(spec.name), spec.name)
        with steps.step(f"boot {len(spec.nodes)} VMs ({accel.upper()}, {self.memory_mb} MiB, "
                        f"{self.cpus} vCPU each)"):
            nodes = [self._boot_new(spec.name, n, image, accel) for n in spec.nodes]
        with steps.step("wait for SSH and dockerd in every VM"):
            parallel(lambda n: self.wait_engine(n, BOOT_TIMEOUT), nodes)
        vmimage.forget_old_images(self._images_in_use())
        return nodes

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        """Boot one more VM on the lab's switch."""
        image, accel = self._prepare(1, steps)
        qemu.ensure_switch(self._dir(lab), lab)
        with steps.step(f"boot {node.name}"):
            new = self._boot_new(lab, node, image, accel)
            self.wait_engine(new, BOOT_TIMEOUT)
        return new

    def _prepare(self, count: int, steps: Steps) -> tuple[vmimage.VmImage, str]:
        self.check_capacity(count)
        image = vmimage.ensure_image(steps, flavor=self.flavor)
        return image, qemu.accel(image, steps)

    def _boot_new(self, lab: str, node: NodeSpec, image: vmimage.VmImage, accel: str) -> Node:
        d = private_dir(self._dir(lab))
        rec = {
            "name": node.name, "role": node.role, "index": node.index,
            "address": node_address(node), "ssh_port": processes.free_port(),
            "image": str(image.folder),
        }
        self._save(lab, rec)
        base = self.base_disk or image.disk
        processes.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                       str(base), str(d / f"{node.name}.qcow2")], "qemu-img create")
        qemu.launch(self._argv(lab, rec, accel), d, rec)
        return self._node(lab, rec)

    def _argv(self, lab: str, rec: dict[str, Any], accel: str) -> list[str]:
        return qemu.argv(self._dir(lab), lab, rec, accel, self.memory_mb, self.cpus)

    def _images_in_use(self) -> set[Path]:
        return {Path(r["image"]) for lab in self.labs() for r in self._records(lab)}

    def wait_engine(self, node: Node, timeout: float = 60) -> None:
        """Until dockerd answers over SSH; fail at once if the VM's qemu died."""
        d = self._dir(node.provider_id.split(":", 1)[1].split("/")[0])

        def alive() -> None:
            if not processes.alive(d / f"{node.name}.pid", d):
                raise ProviderError(
                    f"VM {node.name} stopped while booting. Its console says:\n"
                    f"{processes.tail(d / f'{node.name}.serial')}"
                )

        try:
            wait_engine(node, what=f"dockerd in VM {node.name}", timeout=timeout, interval=2,
                        hint=f"the VM's console is in {d / node.name}.serial", run_timeout=20,
                        fatal=("host key",), alive=alive)
        except WaitTimeout as e:
            # A failed `up` removes the lab's folder, console included: say what it held.
            raise WaitTimeout(e.what, e.timeout, e.last, f"{e.hint}; its last lines:\n"
                              f"{processes.tail(d / f'{node.name}.serial')}") from None

    # ----- power ----------------------------------------------------------------------------
    def stop(self, lab: str, node: str) -> None:
        """Power off: a clean shutdown, then the plug after 60 s."""
        rec = self._record(lab, node)
        d = self._dir(lab)
        pidfile = d / f"{node}.pid"
        if not processes.alive(pidfile, d):
            return
        with contextlib.suppress(ConnectError):
            self._node(lab, rec).run("systemctl poweroff --no-block", timeout=20)
        if not processes.wait_gone(pidfile, d, 60):
            processes.kill(pidfile, d)
        pidfile.unlink(missing_ok=True)

    def start(self, lab: str, node: str) -> None:
        """Boot the VM again from its overlay (it keeps its disk and host key)."""
        rec = self._record(lab, node)
        d = self._dir(lab)
        if not processes.alive(d / f"{node}.pid", d):
            qemu.ensure_switch(d, lab)
            accel = qemu.accel(vmimage.VmImage(Path(rec["image"])))
            qemu.launch(self._argv(lab, rec, accel), d, rec)
            if rec.get("forwards"):
                monitor.restore_forwards(d / f"{node}.mon", rec)
                self._save(lab, rec)
        self.wait_engine(self._node(lab, rec), BOOT_TIMEOUT)

    def start_many(self, lab: str, nodes: list[str]) -> None:
        """Boot the VMs side by side, on the lab's switch."""
        qemu.ensure_switch(self._dir(lab), lab)  # once: two starts must not both make it
        parallel(lambda n: self.start(lab, n), nodes)

    # ----- reaching a published port --------------------------------------------------------
    def reach(self, lab: str, node: str, port: int) -> tuple[str, int]:
        """127.0.0.1 and a port forwarded there to ``port`` of the VM (made once, kept in
        the VM's record; it goes with the VM)."""
        rec = self._record(lab, node)
        host_port = monitor.ensure_forward(self._dir(lab) / f"{node}.mon", rec, port)
        self._save(lab, rec)
        return "127.0.0.1", host_port

    # ----- removing -------------------------------------------------------------------------
    def remove(self, lab: str, node: str) -> None:
        """Kill the VM and delete its disk, record and logs."""
        self._record(lab, node)
        d = self._dir(lab)
        processes.kill(d / f"{node}.pid", d)
        for suffix in (".json", ".qcow2", ".pid", ".serial", ".mon"):
            (d / f"{node}{suffix}").unlink(missing_ok=True)

    def delete(self, lab: str) -> int:
        """Kill the lab's VMs and switch, remove its folder and its SSH key folder."""
        d = self._dir(lab)
        gone = 0
        if d.is_dir():
            pids = sorted(d.glob("*.pid"))
            gone += sum(parallel(lambda p: processes.kill(p, d), pids))
            shutil.rmtree(d, ignore_errors=True)
            gone += 1
        ssh_dir = cache_root() / "ssh" / lab
        if ssh_dir.is_dir() and not (ssh_dir / "inventory.yaml").exists():
            shutil.rmtree(ssh_dir, ignore_errors=True)
            gone += 1
        return gone


__all__ = ["VmProvider", "labs_dir", "node_address"]
