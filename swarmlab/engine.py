"""The host's Docker engine: connect to it, or (as root on Debian) install and start it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docker
import docker.errors

from swarmlab import host, wait
from swarmlab.errors import EngineUnavailable

DEBIAN_PACKAGES = ["docker.io", "graphviz", "debootstrap", "busybox-static"]
DOCKERD_LOG = Path("/var/log/swarmlab-dockerd.log")


TIMEOUT_ENV = "SWARMLAB_DOCKER_TIMEOUT"
WORK_TIMEOUT = 120.0  # seconds per API call once the engine answered (see ``work_timeout``)


def work_timeout() -> float:
    """How long one API call may take once the engine answered its ping: 120 s, or
    ``$SWARMLAB_DOCKER_TIMEOUT``. An engine on a slow machine (an emulated VM, a laptop
    under load) takes longer than the SDK's 60 s to create or inspect a node container
    while several start at once."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else WORK_TIMEOUT
    except ValueError:
        raise EngineUnavailable(f"${TIMEOUT_ENV} must be a number of seconds, not {raw!r}."
                                ) from None
    if value <= 0:
        raise EngineUnavailable(f"${TIMEOUT_ENV} must be more than 0 seconds, not {raw!r}.")
    return value


def connect(timeout: float = 30) -> Any:
    """A docker SDK client for the host engine, or ``EngineUnavailable`` with the fix.

    ``timeout`` bounds the first ping (an absent engine is found out quickly); later calls
    get ``work_timeout()``."""
    try:
        client = docker.from_env(timeout=int(timeout), max_pool_size=32)
        client.ping()
    except docker.errors.DockerException as e:
        raise EngineUnavailable(_fix_for(str(e))) from e
    client.api.timeout = work_timeout()
    return client


def _fix_for(err: str) -> str:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if "Permission denied" in err or "PermissionError" in err:
        return (
            f"The Docker engine at {host} refused this user. Add yourself to the docker group "
            "(`sudo usermod -aG docker $USER`, then log in again) or run as root."
        )
    return (
        f"No Docker engine answers at {host} ({err.splitlines()[0][:200]}). Start it "
        "(`sudo systemctl start docker`, or Docker Desktop), or run `./lab.sh`, which "
        "installs and starts it on Debian/Ubuntu."
    )


def ensure(log: Any = print) -> Any:
    """Make sure an engine answers: install Debian's docker.io and start dockerd if needed."""
    try:
        return connect(timeout=10)
    except EngineUnavailable as first:
        if not host.is_root() or not shutil.which("apt-get"):
            raise EngineUnavailable(
                f"{first}\nThis script can only install Docker itself as root on Debian or "
                "Ubuntu; elsewhere install Docker Engine or Docker Desktop and start it."
            ) from None
    missing = [p for p in DEBIAN_PACKAGES if not _dpkg_installed(p)]
    if missing:
        log(f"[swarmlab] installing {' '.join(missing)} (apt-get) ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        proc = subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing], env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise EngineUnavailable(f"apt-get install {' '.join(missing)} failed:\n{proc.stderr}")
    started = {"daemon": _start_dockerd(log), "retried": False}

    def answers() -> Any:
        try:
            return connect(timeout=5)
        except EngineUnavailable:
            daemon = started["daemon"]
            if isinstance(daemon, subprocess.Popen) and daemon.poll() is not None \
                    and not started["retried"]:
                # It gave up (after a crash: "timeout waiting for containerd"): once more,
                # now that it has cleared what the crashed one left.
                log("[swarmlab] dockerd exited at start; starting it once more ...")
                started.update(retried=True, daemon=_start_dockerd(log))
            return None

    client = wait.settle(answers, timeout=60, interval=0.5)
    if client is None:
        raise EngineUnavailable(
            f"dockerd was started but does not answer after 60s; see {DOCKERD_LOG}."
        )
    return client


CONTAINERD_PID = Path("/var/run/docker/containerd/containerd.pid")


def _forget_dead_containerd() -> None:
    """Remove the pid file of dockerd's own containerd when that process is gone.

    A dockerd killed outright takes its containerd with it but leaves the pid file; if the
    number now belongs to another process, the next dockerd waits for a containerd that
    never answers and gives up ("timeout waiting for containerd to start")."""
    try:
        pid = int(CONTAINERD_PID.read_text().strip())
    except (OSError, ValueError):
        return
    if not _is_our_containerd(pid):
        CONTAINERD_PID.unlink(missing_ok=True)


def _is_our_containerd(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        same_ns = os.readlink(f"/proc/{pid}/ns/pid") == os.readlink("/proc/self/ns/pid")
    except OSError:
        return False
    return same_ns and b"containerd" in cmdline and b"/var/run/docker/containerd" in cmdline


def _dpkg_installed(pkg: str) -> bool:
    r = subprocess.run(["dpkg", "-s", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "Status: install ok installed" in r.stdout


def _start_dockerd(log: Any) -> subprocess.Popen[bytes] | None:
    if shutil.which("systemctl") and Path("/run/systemd/system").exists():
        log("[swarmlab] starting docker with systemctl ...")
        subprocess.run(["systemctl", "start", "docker"], check=False)
        return None
    if Path("/var/run/docker.sock").exists():
        # A stale socket from a dockerd that is gone: remove it so a new one can listen.
        subprocess.run(["rm", "-f", "/var/run/docker.sock", "/var/run/docker.pid"], check=False)
    _forget_dead_containerd()
    log(f"[swarmlab] no init system runs dockerd: starting it (log: {DOCKERD_LOG}) ...")
    with open(DOCKERD_LOG, "ab") as out:
        return subprocess.Popen(
            ["dockerd"], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
