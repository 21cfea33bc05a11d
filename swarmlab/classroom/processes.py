"""The class's processes, found exactly: every process whose working folder is inside the
class folder (the hub and its proxy and board run in ``hub/``, each student's server and
kernels in the student's folder). Never by a name pattern: other classes, other users'
JupyterLabs and hubs are not touched."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def _cwd(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] \
        if Path(f"/proc/{pid}/stat").exists() else "Z"
    return state != "Z"


def under(folder: Path) -> dict[int, str]:
    """pid -> command line of every live process working inside ``folder``."""
    root = str(folder.resolve())
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        cwd = _cwd(int(entry))
        if cwd and (cwd == root or cwd.startswith(root + os.sep)) and alive(int(entry)):
            found[int(entry)] = cmdline(int(entry))
    return found


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def stop(pids: list[int], grace: float = 15.0) -> list[int]:
    """SIGTERM, then SIGKILL after ``grace`` seconds; the pids that were still alive."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.2)
    left = [p for p in pids if alive(p)]
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left
