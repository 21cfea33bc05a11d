"""vm: each node is a qemu VM with its own Debian kernel (IPVS, so the routing mesh works).

Machines only, like dind. Everything a lab owns lives in its folder
(``~/.cache/swarmlab/vm/labs/<lab>/``): one record, disk overlay, pid file, serial log and
monitor socket per node, and the private switch. That folder is the lab's only record;
``delete`` kills the processes named there (after checking who they are) and removes it.

Network per node: a user-mode NIC (no host interface, ``restrict=on``: no way out) whose
only door is SSH forwarded to 127.0.0.1; and a private L2 segment between the lab's VMs
through ``vde_switch``, where the swarm runs. KVM is used when a probe boot shows that
it works, TCG otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
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
from swarmlab.node import Node
from swarmlab.progress import Steps
from swarmlab.providers.base import HostEngineClient
from swarmlab.spec import ClusterSpec, NodeSpec
from swarmlab.transport.ssh import SSHTransport, cache_root, known_hosts_path, lab_key, private_dir

SUBNET = "192.168.77"  # one private switch per lab, so every lab may use the same /24
MEMORY_MB = int(os.environ.get("SWARMLAB_VM_MEMORY", "1024"))
BOOT_TIMEOUT = float(os.environ.get("SWARMLAB_VM_BOOT_TIMEOUT", "420"))
_ACCEL: dict[str, str] = {}


def node_address(node: NodeSpec) -> str:
    return f"{SUBNET}.{10 + node.index if node.role == 'manager' else 100 + node.index}"


def labs_dir() -> Path:
    private_dir(cache_root() / "vm")
    return private_dir(cache_root() / "vm" / "labs")


class VmProvider(HostEngineClient):
    """Nodes as qemu VMs booted from one cached Debian image, one overlay each."""

    name = "vm"

    def __init__(self, client: Any = None, memory_mb: int = MEMORY_MB) -> None:
        self._client = client
        self.memory_mb = memory_mb

    # ----- records ----------------------------------------------------------------------
    def _dir(self, lab: str) -> Path:
        return labs_dir() / lab

    def _records(self, lab: str) -> list[dict[str, Any]]:
        d = self._dir(lab)
        recs = [json.loads(p.read_text()) for p in d.glob("*.json")] if d.is_dir() else []
        return sorted(recs, key=lambda r: (r["role"] != "manager", r["index"]))

    def _record(self, lab: str, node: str) -> dict[str, Any]:
        p = self._dir(lab) / f"{node}.json"
        if not p.is_file():
            names = ", ".join(r["name"] for r in self._records(lab)) or "none"
            raise ClusterNotFound(f"Lab {lab!r} has no VM {node!r}. Its VMs: {names}.")
        rec: dict[str, Any] = json.loads(p.read_text())
        return rec

    def labs(self) -> list[str]:
        return sorted(p.name for p in labs_dir().iterdir() if any(p.glob("*.json")))

    def find(self, lab: str) -> list[Node]:
        return [self._node(lab, r) for r in self._records(lab)]

    def _node(self, lab: str, rec: dict[str, Any]) -> Node:
        key, _ = lab_key(lab)
        t = SSHTransport("127.0.0.1", port=rec["ssh_port"], key_path=key,
                         known_hosts=known_hosts_path(lab), node=rec["name"])
        return Node(rec["name"], rec["role"], rec["address"], t, f"vm:{lab}/{rec['name']}")

    def states(self, lab: str) -> dict[str, str]:
        d = self._dir(lab)
        return {r["name"]: "running" if _alive(d / f"{r['name']}.pid", d) else "exited"
                for r in self._records(lab)}

    # ----- creating -----------------------------------------------------------------------
    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        image = self._prepare(len(spec.nodes), steps)
        accel = self.accel(image, steps)
        self._switch(spec.name)
        with steps.step(f"boot {len(spec.nodes)} VMs ({accel.upper()}, {self.memory_mb} MiB each)"):
            nodes = [self._boot_new(spec.name, n, image, accel) for n in spec.nodes]
        with steps.step("wait for SSH and dockerd in every VM"):
            _parallel(lambda n: self.wait_engine(n, BOOT_TIMEOUT), nodes)
        vmimage.forget_old_images(self._images_in_use())
        return nodes

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        image = self._prepare(1, steps)
        accel = self.accel(image, steps)
        self._switch(lab)
        with steps.step(f"boot {node.name}"):
            new = self._boot_new(lab, node, image, accel)
            self.wait_engine(new, BOOT_TIMEOUT)
        return new

    def _prepare(self, count: int, steps: Steps) -> vmimage.VmImage:
        missing = vmimage.tools_missing()
        if missing:
            raise CapabilityMissing(
                f"VM labs need {', '.join(missing)} on this host: `apt-get install "
                f"{' '.join(missing)}` (the kit's install step does it)."
            )
        need = count * (self.memory_mb + 200)
        free = _available_mb()
        if free and need > free:
            raise CapabilityMissing(
                f"{count} VMs need about {need} MiB and this host has {free} MiB free. Ask "
                "for fewer nodes, or less memory per VM (SWARMLAB_VM_MEMORY=768)."
            )
        return vmimage.ensure_image(steps)

    def _boot_new(self, lab: str, node: NodeSpec, image: vmimage.VmImage, accel: str) -> Node:
        d = self._dir(lab)
        private_dir(d)
        rec = {
            "name": node.name, "role": node.role, "index": node.index,
            "address": node_address(node), "ssh_port": _free_port(), "image": str(image.folder),
        }
        (d / f"{node.name}.json").write_text(json.dumps(rec, indent=1))
        _run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(image.disk),
              str(d / f"{node.name}.qcow2")], "qemu-img create")
        self._launch(lab, rec, accel)
        return self._node(lab, rec)

    def _launch(self, lab: str, rec: dict[str, Any], accel: str) -> None:
        d = self._dir(lab)
        name = rec["name"]
        (d / f"{name}.serial").unlink(missing_ok=True)
        proc = subprocess.run(self._argv(lab, rec, accel), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              timeout=120)
        if proc.returncode != 0:
            raise ProviderError(
                f"qemu did not start {name}: {proc.stderr.strip()[-600:]}\n"
                f"Hint: port {rec['ssh_port']} on 127.0.0.1 may be taken; `swarmlab doctor`."
            )

    def _argv(self, lab: str, rec: dict[str, Any], accel: str) -> list[str]:
        d = self._dir(lab)
        image = vmimage.VmImage(Path(rec["image"]))
        name, octet = rec["name"], int(rec["address"].rsplit(".", 1)[1])
        _, pub = lab_key(lab)
        key = ":".join(pub.split()[:2])  # the kernel command line splits on spaces
        machine_id = hashlib.sha256(f"{lab}/{name}".encode()).hexdigest()[:32]
        cmdline = (
            # mitigations=off: page-table isolation makes every syscall costly under TCG.
            f"root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 mitigations=off "
            f"quiet loglevel=3 "
            f"systemd.hostname={name} systemd.machine_id={machine_id} "
            f"swarmlab.addr=eth0:{vmimage.GUEST_ADDR}/24 swarmlab.gw={vmimage.GUEST_GW} "
            f"swarmlab.addr=eth1:{rec['address']}/24 swarmlab.key={key}"
        )
        accel_args = (["-accel", "kvm", "-cpu", "host"] if accel == "kvm"
                      else ["-accel", "tcg,tb-size=256", "-cpu", "max"])
        return [
            "qemu-system-x86_64", "-name", f"swarmlab-{lab}-{name}",
            *accel_args, "-smp", "1", "-m", str(self.memory_mb),
            "-kernel", str(image.kernel), "-initrd", str(image.initrd), "-append", cmdline,
            "-drive", f"file={d / name}.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap",
            "-device", "virtio-rng-pci",
            "-netdev", f"user,id=nat,net=10.0.2.0/24,restrict=on,"
                       f"hostfwd=tcp:127.0.0.1:{rec['ssh_port']}-{vmimage.GUEST_ADDR}:22",
            "-device", "virtio-net-pci,netdev=nat",
            "-netdev", f"vde,id=lab,sock={d / 'switch'}",
            "-device", f"virtio-net-pci,netdev=lab,mac=52:54:00:77:00:{octet:02x}",
            "-display", "none", "-vga", "none", "-serial", f"file:{d / name}.serial",
            "-monitor", f"unix:{d / name}.mon,server,nowait",
            "-pidfile", str(d / f"{name}.pid"), "-daemonize",
        ]

    def _switch(self, lab: str) -> None:
        """The lab's private L2 segment: a vde_switch with no host interface."""
        d = self._dir(lab)
        private_dir(d)
        if _alive(d / "switch.pid", d):
            return
        shutil.rmtree(d / "switch", ignore_errors=True)
        _run(["vde_switch", "-sock", str(d / "switch"), "-daemon", "-p", str(d / "switch.pid"),
              "-m", "700"], "vde_switch")
        if not _wait_alive(d / "switch.pid", d, 5):
            raise ProviderError(f"vde_switch did not start for lab {lab!r} (socket {d}/switch).")

    def _images_in_use(self) -> set[Path]:
        used = set()
        for lab in self.labs():
            used |= {Path(r["image"]) for r in self._records(lab)}
        return used

    # ----- KVM or TCG -------------------------------------------------------------------
    def accel(self, image: vmimage.VmImage, steps: Steps | None = None) -> str:
        """``kvm`` if a probe VM really boots with it, else ``tcg`` (decided once per host)."""
        forced = os.environ.get("SWARMLAB_VM_ACCEL", "").lower()
        if forced in ("kvm", "tcg"):
            return forced
        if "accel" not in _ACCEL:
            _ACCEL["accel"], why = probe_kvm(image)
            if steps is not None:
                steps.say(f"  - VMs use {_ACCEL['accel'].upper()}: {why}")
        return _ACCEL["accel"]

    def wait_engine(self, node: Node, timeout: float = 60) -> None:
        """Until dockerd answers over SSH; fail at once if the VM's qemu died."""
        d = self._dir(node.provider_id.split(":", 1)[1].split("/")[0])
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while True:
            try:
                res = node.run("docker version -f '{{.Server.Version}}'", timeout=20)
                if res.ok:
                    return
                last = (res.stderr or res.stdout).strip()
            except ConnectError as e:
                last = str(e)
                if "host key" in last:
                    raise
            if not _alive(d / f"{node.name}.pid", d):
                raise ProviderError(
                    f"VM {node.name} stopped while booting. Its console says:\n"
                    f"{_tail(d / f'{node.name}.serial')}"
                )
            if time.monotonic() > deadline:
                raise WaitTimeout(
                    f"dockerd in VM {node.name}", timeout, last,
                    f"the VM's console is in {d / node.name}.serial",
                )
            time.sleep(2)

    # ----- power ----------------------------------------------------------------------------
    def stop(self, lab: str, node: str) -> None:
        """Power off: a clean shutdown, then the plug after 60 s."""
        rec = self._record(lab, node)
        d = self._dir(lab)
        pidfile = d / f"{node}.pid"
        if not _alive(pidfile, d):
            return
        with contextlib.suppress(ConnectError):
            self._node(lab, rec).run("systemctl poweroff --no-block", timeout=20)
        if not _wait_gone(pidfile, d, 60):
            _kill(pidfile, d)
        pidfile.unlink(missing_ok=True)

    def start(self, lab: str, node: str) -> None:
        rec = self._record(lab, node)
        d = self._dir(lab)
        if not _alive(d / f"{node}.pid", d):
            self._switch(lab)
            self._launch(lab, rec, self.accel(vmimage.VmImage(Path(rec["image"]))))
        self.wait_engine(self._node(lab, rec), BOOT_TIMEOUT)

    # ----- removing -------------------------------------------------------------------------
    def remove(self, lab: str, node: str) -> None:
        self._record(lab, node)
        d = self._dir(lab)
        _kill(d / f"{node}.pid", d)
        for suffix in (".json", ".qcow2", ".pid", ".serial", ".mon"):
            (d / f"{node}{suffix}").unlink(missing_ok=True)

    def delete(self, lab: str) -> int:
        """Kill the lab's VMs and switch, remove its folder and its SSH key folder."""
        d = self._dir(lab)
        gone = 0
        if d.is_dir():
            pids = sorted(d.glob("*.pid"))
            gone += sum(_parallel(lambda p: _kill(p, d), pids))
            shutil.rmtree(d, ignore_errors=True)
            gone += 1
        ssh_dir = cache_root() / "ssh" / lab
        if ssh_dir.is_dir() and not (ssh_dir / "inventory.yaml").exists():
            shutil.rmtree(ssh_dir, ignore_errors=True)
            gone += 1
        return gone

    def load_images(self, nodes: list[Node], tags: list[str]) -> None:
        """Stream the missing host images into each VM (one check per VM: CLIs start slowly)."""
        from swarmlab.images.build import save_image

        saved = {t: save_image(self.client, t) for t in tags}
        _parallel(lambda n: _load_into(n, saved), nodes)


def _load_into(node: Node, saved: dict[str, tuple[str, bytes]]) -> None:
    from swarmlab.errors import ImageError

    res = node.run("docker images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'",
                   timeout=180)
    have = {tuple(line.split()[:2]) for line in res.stdout.splitlines() if line.strip()}
    for tag, (image_id, tar) in saved.items():
        if (image_id, tag) in have:
            continue
        res = node.run("docker load -q", stdin=tar, timeout=600)
        if not res.ok:
            raise ImageError(f"Loading {tag} into {node.name} failed: {res.stderr.strip()[-400:]}")


def probe_kvm(image: vmimage.VmImage, timeout: float = 40) -> tuple[str, str]:
    """Boot the kernel under KVM until it panics for want of a root disk: proof KVM works."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg", "no usable /dev/kvm"
    argv = [
        "qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-m", "256", "-smp", "1",
        "-kernel", str(image.kernel), "-append", "console=ttyS0 panic=-1 root=/dev/null",
        "-display", "none", "-vga", "none", "-serial", "stdio", "-no-reboot", "-nodefaults",
    ]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "tcg", f"a KVM probe boot did not finish in {timeout:.0f}s"
    out = proc.stdout.decode(errors="replace")
    if "Kernel panic" in out or "VFS:" in out:
        return "kvm", "a probe VM booted with KVM"
    err = proc.stderr.decode(errors="replace").strip().splitlines()
    return "tcg", f"KVM is present but a probe VM failed ({(err or ['no output'])[-1][:120]})"


# ----- processes the lab owns ---------------------------------------------------------------
def _pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pidfile: Path, owner: Path) -> bool:
    """The pid file names a live process (not a zombie) that was started for ``owner``."""
    pid = _pid(pidfile)
    if pid is None:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and str(owner).encode() in cmdline


def _kill(pidfile: Path, owner: Path) -> int:
    """Stop the process of ``pidfile`` if it is ours: TERM, then KILL. 1 if one was running."""
    if not _alive(pidfile, owner):
        return 0
    pid = _pid(pidfile)
    assert pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pidfile, owner, 5):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(pidfile, owner, 5)
    return 1


def _wait_gone(pidfile: Path, owner: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pidfile, owner):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _available_mb() -> int:
    with contextlib.suppress(OSError, ValueError, StopIteration), open("/proc/meminfo") as f:
        line = next(ln for ln in f if ln.startswith("MemAvailable:"))
        return int(line.split()[1]) // 1024
    return 0


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no console output)"


def _wait_alive(pidfile: Path, owner: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _alive(pidfile, owner):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _run(cmd: list[str], what: str) -> None:
    # stdout unused: a daemon that kept the pipe open would make us wait forever.
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    if proc.returncode != 0:
        raise ProviderError(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()}")


def _parallel(fn: Any, items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(items)))) as pool:
        return list(pool.map(fn, items))


__all__ = ["VmProvider", "node_address", "probe_kvm"]
