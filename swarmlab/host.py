"""Facts about the host this kit runs on, read from /proc and /sys (no Docker needed).

``doctor`` reports them; providers use them to refuse what cannot work before making
anything (memory) and to keep clear of what exists (routes).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from swarmlab.capabilities import IPSEC_PROBE, ipsec_why


def read(path: str) -> str | None:
    """A small /proc or /sys file's text, or None when it cannot be read."""
    try:
        return Path(path).read_text()
    except OSError:
        return None


def is_root() -> bool:
    """Whether the kit runs as root (it may then install packages and load modules)."""
    return os.geteuid() == 0


def mem_available_kib() -> int:
    """Free memory in KiB: ``MemAvailable`` of /proc/meminfo, or what this process's own
    cgroup v2 memory limit leaves (``cgroup_memory_free_kib``) when that is less (a
    container, a systemd slice with MemoryMax=, a CI runner); 0 when unknown."""
    free = 0
    for line in (read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemAvailable:"):
            try:
                free = int(line.split()[1])
            except (IndexError, ValueError):
                free = 0
            break
    limited = cgroup_memory_free_kib()
    if limited is not None and (not free or limited < free):
        return limited
    return free


def _cgroup_number(path: Path) -> int | None:
    text = read(str(path))
    try:
        return int(text.strip()) if text is not None else None
    except ValueError:
        return None  # "max": no limit here


def _reclaimable(cgroup: Path) -> int:
    """Page cache the kernel drops before it runs out (``inactive_file`` of memory.stat)."""
    for line in (read(str(cgroup / "memory.stat")) or "").splitlines():
        key, _, value = line.partition(" ")
        if key == "inactive_file" and value.strip().isdigit():
            return int(value)
    return 0


def cgroup_memory_free_kib(proc_cgroup: str = "/proc/self/cgroup",
                           root: str = "/sys/fs/cgroup") -> int | None:
    """KiB this process may still use under the cgroup v2 memory limits (``memory.max``)
    of its cgroup (its ``0::`` line of /proc/self/cgroup) and of every parent below
    ``root``: the smallest ``memory.max - memory.current + inactive_file``. None when no
    limit applies (no limit set, cgroup v1, or nothing readable)."""
    line = next((ln for ln in (read(proc_cgroup) or "").splitlines() if ln.startswith("0::")),
                None)
    if line is None:
        return None
    parts = [p for p in line[3:].strip().split("/") if p]
    if ".." in parts:  # outside our cgroup namespace's view: only its root is ours to read
        parts = []
    found: list[int] = []
    for depth in range(len(parts), -1, -1):
        cgroup = Path(root, *parts[:depth])
        limit = _cgroup_number(cgroup / "memory.max")
        if limit is None:
            continue
        used = _cgroup_number(cgroup / "memory.current") or 0
        found.append(max(0, limit - used + _reclaimable(cgroup)) // 1024)
    return min(found) if found else None


def mem_available_mib() -> int:
    """Free memory in MiB (0 when unknown)."""
    return mem_available_kib() // 1024


def routes() -> list[ipaddress.IPv4Network]:
    """IPv4 routes of the host (not default), so a lab subnet never shadows one."""
    nets = []
    lines = (read("/proc/net/route") or "").splitlines()[1:]
    for line in lines:
        parts = line.split()
        try:
            dest, mask = int(parts[1], 16), int(parts[7], 16)
            if mask == 0:
                continue
            d = ipaddress.IPv4Address(dest.to_bytes(4, "little"))
            m = ipaddress.IPv4Address(mask.to_bytes(4, "little"))
            nets.append(ipaddress.IPv4Network(f"{d}/{m}", strict=False))
        except (ValueError, IndexError):
            continue
    return nets


def ipvs() -> tuple[bool, str]:
    """The routing mesh and VIPs need the kernel's IPVS (module ip_vs), and why."""
    if Path("/proc/net/ip_vs").exists():
        return True, "ip_vs is loaded"
    if is_root() and shutil.which("modprobe"):
        r = subprocess.run(["modprobe", "ip_vs"], capture_output=True, text=True)
        if r.returncode == 0 and Path("/proc/net/ip_vs").exists():
            return True, "ip_vs loaded with modprobe"
    return False, f"the kernel ({os.uname().release}) has no ip_vs module"


def ipsec() -> tuple[bool, str]:
    """Encrypted overlay networks need the kernel's IPsec (ESP, AES-GCM), and why."""
    if not (is_root() and shutil.which("unshare") and shutil.which("ip")):
        return False, "not probed (needs root, unshare and ip)"
    r = subprocess.run(["sh", "-c", IPSEC_PROBE], capture_output=True, text=True)
    return ipsec_why(r.stdout, "the host")


def cgroup_version() -> str:
    """"2" on a unified (cgroup v2) hierarchy, else "1"."""
    return "2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "1"


def cgroup_layout() -> str:
    """"v2" (unified), "hybrid" (v1 controllers plus cgroup2 at unified/), "v1", or "none"."""
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        return "v2"
    if Path("/sys/fs/cgroup/unified/cgroup.controllers").exists():
        return "hybrid"
    return "v1" if Path("/sys/fs/cgroup/memory").is_dir() else "none"


def facts() -> dict[str, Any]:
    """What the doctor needs to know of this host besides Docker: the OS, whether this is
    WSL2, whether systemd is PID 1, the cgroup layout (and the v1 ``name=systemd``
    hierarchy nested engines look for)."""
    release = (read("/proc/sys/kernel/osrelease") or os.uname().release).strip()
    return {
        "platform": sys.platform,
        "kernel": release,
        "wsl": "microsoft" in release.lower() or bool(os.environ.get("WSL_DISTRO_NAME")),
        "init": (read("/proc/1/comm") or "").strip(),
        "systemd": Path("/run/systemd/system").is_dir(),
        "cgroup": cgroup_layout(),
        "cgroup_v1_systemd": Path("/sys/fs/cgroup/systemd").is_dir(),
        "root": is_root(),
    }


def bridge_nf_call_iptables() -> str | None:
    """net.bridge.bridge-nf-call-iptables, or None when br_netfilter is not loaded."""
    return read("/proc/sys/net/bridge/bridge-nf-call-iptables")


def kvm_kind(modules: str = "/sys/module") -> str:
    """Which KVM serves /dev/kvm: ``amd`` or ``intel`` (hardware virtualization), ``pvm``
    (the ``kvm_pvm`` module: page-table based, for VMs inside cloud VMs without nested
    virtualization; it runs only guest kernels built for PVM), or "" when none is loaded."""
    for kind in ("pvm", "amd", "intel"):
        if Path(modules, f"kvm_{kind}").is_dir():
            return kind
    return ""


def kvm_usable() -> bool:
    """Whether this user may open /dev/kvm (a probe boot still has to prove KVM works)."""
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


__all__ = ["bridge_nf_call_iptables", "cgroup_layout", "cgroup_memory_free_kib",
           "cgroup_version", "facts", "ipsec", "ipvs", "is_root", "kvm_kind", "kvm_usable",
           "mem_available_kib", "mem_available_mib", "read", "routes"]
