"""Starting a lab's machines: the qemu command line, the private switch, KVM or TCG."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from swarmlab import host
from swarmlab.errors import ProviderError
from swarmlab.images import vm as vmimage
from swarmlab.keys import lab_key
from swarmlab.paths import cache_root, private_dir
from swarmlab.progress import Steps
from swarmlab.providers.vm import processes

_ACCEL: dict[str, str] = {}


def argv(d: Path, lab: str, rec: dict[str, Any], accel: str, memory_mb: int,
         cpus: int = 1) -> list[str]:
    """qemu's command line for one node: private NIC for the swarm, SSH on 127.0.0.1 only."""
    image = vmimage.VmImage(Path(rec["image"]))
    name, octet = rec["name"], int(rec["address"].rsplit(".", 1)[1])
    _, pub = lab_key(lab)
    key = ":".join(pub.split()[:2])  # the kernel command line splits on spaces
    machine_id = hashlib.sha256(f"{lab}/{name}".encode()).hexdigest()[:32]
    cmdline = (
        # mitigations=off: page-table isolation makes every syscall costly under TCG.
        # panic=5: a kernel that panics reboots 5 s later instead of hanging until the
        # kit's wait for dockerd ends (seen once in a suite run: a 2-vCPU guest under
        # multi-threaded TCG, "Fatal exception in interrupt" 1.4 s into its boot).
        f"root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 mitigations=off panic=5 "
        f"quiet loglevel=3 "
        f"systemd.hostname={name} systemd.machine_id={machine_id} "
        f"swarmlab.addr=eth0:{vmimage.GUEST_ADDR}/24 swarmlab.gw={vmimage.GUEST_GW} "
        f"swarmlab.addr=eth1:{rec['address']}/24 swarmlab.key={key}"
    )
    # More than one vCPU under TCG: one host thread each (multi-threaded TCG). The plain
    # x86-64 model: with "max" (AVX, AVX-512, XSAVE of their state) the guest's software
    # takes paths TCG emulates slowly; measured on a 1+1 lab: up 72-74 s and 133-136 s of
    # qemu CPU with qemu64, 84-85 s and 158-159 s with max. Debian needs no more than it.
    tcg = "tcg,thread=multi,tb-size=256" if cpus > 1 else "tcg,tb-size=256"
    accel_args = (["-accel", "kvm", "-cpu", "host"] if accel == "kvm"
                  else ["-accel", tcg, "-cpu", "qemu64"])
    return [
        "qemu-system-x86_64", "-name", f"swarmlab-{lab}-{name}",
        *accel_args, "-smp", str(cpus), "-m", str(memory_mb),
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


def launch(command: list[str], d: Path, rec: dict[str, Any]) -> None:
    """Start (daemonize) one node's qemu; ``ProviderError`` with qemu's complaint."""
    (d / f"{rec['name']}.serial").unlink(missing_ok=True)
    proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120)
    if proc.returncode != 0:
        raise ProviderError(
            f"qemu did not start {rec['name']}: {proc.stderr.strip()[-600:]}\n"
            f"Hint: port {rec['ssh_port']} on 127.0.0.1 may be taken; `swarmlab doctor`."
        )


def ensure_switch(d: Path, lab: str) -> None:
    """The lab's private L2 segment: a vde_switch with no host interface."""
    private_dir(d)
    if processes.alive(d / "switch.pid", d):
        return
    shutil.rmtree(d / "switch", ignore_errors=True)
    processes.run(["vde_switch", "-sock", str(d / "switch"), "-daemon", "-p",
                   str(d / "switch.pid"), "-m", "700"], "vde_switch")
    if not processes.wait_alive(d / "switch.pid", d, 5):
        raise ProviderError(f"vde_switch did not start for lab {lab!r} (socket {d}/switch).")


def accel(image: vmimage.VmImage, steps: Steps | None = None) -> str:
    """``kvm`` if a probe VM really boots with it, else ``tcg`` (decided once per host)."""
    forced = os.environ.get("SWARMLAB_VM_ACCEL", "").lower()
    if forced in ("kvm", "tcg"):
        return forced
    if "accel" not in _ACCEL:
        known = _remembered()
        if known:
            _ACCEL["accel"], why = known[0], f"{known[1]} (found once since this host booted)"
        else:
            _ACCEL["accel"], why = probe_kvm(image)
            _remember(_ACCEL["accel"], why)
        if steps is not None:
            steps.say(f"  - VMs use {_ACCEL['accel'].upper()}: {why}{_pvm_note(_ACCEL['accel'])}")
    return _ACCEL["accel"]


def _pvm_note(accel: str) -> str:
    """Why KVM fails on a PVM host, where no CPU model helps (said, never cached)."""
    if accel == "kvm" or host.kvm_kind() != "pvm":
        return ""
    return ("; this host's /dev/kvm is PVM (kvm_pvm), which boots only guest kernels built "
            "for PVM, and the image's Debian kernel is not one: VMs run emulated, slowly")


def _verdict_file() -> Path | None:
    """Where this boot's KVM verdict is kept: it holds until the host reboots or qemu
    changes (a probe that times out costs 40 s, on every ``swarmlab up``)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    qemu = shutil.which("qemu-system-x86_64")
    stamp = os.stat(qemu).st_mtime_ns if qemu else 0
    key = hashlib.sha256(f"{boot}/{qemu}/{stamp}".encode()).hexdigest()[:16]
    return cache_root() / "vm" / f"accel-{key}.json"


def _remembered() -> tuple[str, str] | None:
    path = _verdict_file()
    try:
        got = json.loads(path.read_text()) if path else None
    except (OSError, ValueError):
        return None
    if isinstance(got, dict) and got.get("accel") in ("kvm", "tcg"):
        return str(got["accel"]), str(got.get("why", ""))
    return None


def _remember(accel: str, why: str) -> None:
    path = _verdict_file()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"accel": accel, "why": why}))
        tmp.replace(path)
    except OSError:
        pass  # only a cache: the next start probes again


def probe_kvm(image: vmimage.VmImage, timeout: float = 40) -> tuple[str, str]:
    """Boot the kernel under KVM until it panics for want of a root disk: proof KVM works."""
    if not host.kvm_usable():
        return "tcg", "no usable /dev/kvm"
    command = [
        "qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-m", "256", "-smp", "1",
        "-kernel", str(image.kernel), "-append", "console=ttyS0 panic=-1 root=/dev/null",
        "-display", "none", "-vga", "none", "-serial", "stdio", "-no-reboot", "-nodefaults",
    ]
    try:
        proc = subprocess.run(command, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "tcg", f"a KVM probe boot did not finish in {timeout:.0f}s"
    out = proc.stdout.decode(errors="replace")
    if "Kernel panic" in out or "VFS:" in out:
        return "kvm", "a probe VM booted with KVM"
    err = proc.stderr.decode(errors="replace").strip().splitlines()
    return "tcg", f"KVM is present but a probe VM failed ({(err or ['no output'])[-1][:120]})"


__all__ = ["accel", "argv", "ensure_switch", "launch", "probe_kvm"]
