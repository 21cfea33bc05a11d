"""When a Vagrant test fails, say where each VM was: libvirt's view, the tail of each VM's
serial console and of qemu's log. A VM that never came up leaves nothing else to read once
the module's clean-up has destroyed it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        return f"({e})"
    return "\n".join(text.splitlines()[-lines:])


def vm_report(lab: str | None) -> str:
    """virsh's list, then each VM's console and qemu log tails (this module's VMs only)."""
    out = []
    virsh = subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all"],
                           capture_output=True, text=True)
    out.append("virsh list --all:\n" + virsh.stdout + virsh.stderr)
    consoles = os.environ.get("SWARMLAB_CI_CONSOLES")
    if consoles:
        for log in sorted(Path(consoles).glob("*.log")):
            out.append(f"--- serial console {log.name} (last lines) ---\n{_tail(log)}")
    if lab:
        for log in sorted(Path("/var/log/libvirt/qemu").glob(f"swarmlab-{lab}-*.log")):
            out.append(f"--- {log} (last lines) ---\n{_tail(log, 8)}")
    return "\n".join(out)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        report.sections.append(("where the VMs were", vm_report(getattr(item.module, "LAB", None))))
