"""The host processes a VM lab owns (qemu, vde_switch), known by their pid files.

A pid file is trusted only when the process it names is alive and was started for the
lab's folder (its command line names it), so a reused pid is never killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path

from swarmlab import wait
from swarmlab.errors import ProviderError


def _pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pidfile: Path, owner: Path) -> bool:
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


def wait_alive(pidfile: Path, owner: Path, timeout: float) -> bool:
    """Whether the process came up within ``timeout`` seconds."""
    return bool(wait.settle(lambda: alive(pidfile, owner), timeout=timeout, interval=0.1))


def wait_gone(pidfile: Path, owner: Path, timeout: float) -> bool:
    """Whether the process was gone within ``timeout`` seconds."""
    return bool(wait.settle(lambda: not alive(pidfile, owner), timeout=timeout, interval=0.2))


def kill(pidfile: Path, owner: Path) -> int:
    """Stop the process of ``pidfile`` if it is ours: TERM, then KILL. 1 if one was running."""
    if not alive(pidfile, owner):
        return 0
    pid = _pid(pidfile)
    assert pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not wait_gone(pidfile, owner, 5):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_gone(pidfile, owner, 5)
    return 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a console log."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no console output)"


def run(cmd: list[str], what: str) -> None:
    """Run a short command (or one that daemonizes); ``ProviderError`` with its stderr."""
    # stdout unused: a daemon that kept the pipe open would make us wait forever.
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    if proc.returncode != 0:
        raise ProviderError(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()}")


__all__ = ["alive", "free_port", "kill", "run", "tail", "wait_alive", "wait_gone"]
