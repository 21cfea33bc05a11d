"""When a Vagrant test fails, say where each VM was: libvirt's view, the tail of each VM's
serial console and of qemu's log, and what systemd inside says (its pending jobs, failed
units, the journal's warnings) for each VM that answers SSH. A VM that hung leaves nothing
else to read once the module's clean-up has destroyed it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from swarmlab.paths import cache_root

# What a hung `vagrant up` needs explained: a start job that never ends (provision.sh's
# `systemctl start docker` waits for it), a failed unit, the boot's warnings.
INSIDE = ("uptime; systemctl list-jobs --no-pager; systemctl --failed --no-pager; "
          "journalctl -b --no-pager -p warning -n 20; journalctl -b --no-pager -u docker -n 10")
VIRSH = ["virsh", "-c", "qemu:///system"]  # the system libvirtd that libvirt-host.sh starts
INSECURE = sorted(Path("/usr/share/rubygems-integration/all/gems").glob("vagrant-*/keys/vagrant"))


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        return f"({e})"
    return "\n".join(text.splitlines()[-lines:])


def vm_report(lab: str | None) -> str:
    """virsh's list, then each VM's console and qemu log tails (this module's VMs only)."""
    out = []
    virsh = subprocess.run([*VIRSH, "list", "--all"], capture_output=True, text=True)
    out.append("virsh list --all:\n" + virsh.stdout + virsh.stderr)
    consoles = os.environ.get("SWARMLAB_CI_CONSOLES")
    if consoles:
        for log in sorted(Path(consoles).glob("*.log")):
            out.append(f"--- serial console {log.name} (last lines) ---\n{_tail(log)}")
    if lab:
        for log in sorted(Path("/var/log/libvirt/qemu").glob(f"swarmlab-{lab}-*.log")):
            out.append(f"--- {log} (last lines) ---\n{_tail(log, 8)}")
        out += _inside(lab)
    return "\n".join(out)


def _inside(lab: str) -> list[str]:
    """INSIDE on each VM over SSH (the CI override's ports: managers first, then workers),
    with the key Vagrant gave the machine, or Vagrant's well-known key before it did."""
    base = os.environ.get("SWARMLAB_CI_PORT_BASE")
    machines = cache_root() / "vagrant" / lab / "state" / "machines"
    if not base or not machines.is_dir():
        return []
    names = sorted(p.name for p in machines.iterdir())
    order = sorted(names, key=lambda n: (not n.startswith("manager"), n))
    out = []
    for i, name in enumerate(order):
        key = machines / name / "libvirt" / "private_key"
        cmd = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
               "-o", "LogLevel=ERROR", "-p", str(int(base) + i), "-i", str(key),
               *(arg for k in INSECURE for arg in ("-i", str(k))),
               "root@127.0.0.1", INSIDE]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            said = (res.stdout + res.stderr).strip()
        except subprocess.TimeoutExpired:
            said = "(no answer in 60 s)"
        out.append(f"--- inside {name} (ssh port {int(base) + i}) ---\n{said}")
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        report.sections.append(("where the VMs were", vm_report(getattr(item.module, "LAB", None))))
