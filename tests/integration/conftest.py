"""Integration tests run against real dind clusters on the host engine."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import docker
import pytest

import swarmlab

LABEL = "io.swarmlab.lab"


def leftovers(lab: str) -> dict[str, int]:
    """How many containers, networks and volumes still carry the lab's label."""
    client = docker.from_env()
    flt = {"label": f"{LABEL}={lab}"}
    return {
        "containers": len(client.containers.list(all=True, filters=flt)),
        "networks": len(client.networks.list(filters=flt)),
        "volumes": len(client.volumes.list(filters=flt)),
    }


NOTHING = {"containers": 0, "networks": 0, "volumes": 0}


@pytest.fixture(scope="session")
def host_engine():
    """The host engine; its absence fails the integration tier (never a silent skip)."""
    from swarmlab import engine

    return engine.connect()


def host_dockerd_pid() -> int | None:
    """The host's dockerd: the one in this process's PID namespace (each node's dockerd
    runs in its node's own namespace, under docker-init, so its parent says nothing)."""

    ours = os.readlink("/proc/self/ns/pid")
    out = subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True, text=True).stdout
    for pid in (int(p) for p in out.split()):
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") == ours:
                return pid
        except OSError:
            continue
    return None


def module_lab(name: str, managers: int = 1, workers: int = 2) -> Any:
    """A module-scoped fixture: lab ``name`` up for the module's tests, then down with
    nothing left (found again by name, since a test may have killed or replaced nodes)."""

    @pytest.fixture(scope="module")
    def lab(host_engine: Any) -> Iterator[swarmlab.Lab]:
        yield swarmlab.Lab.up(name, managers=managers, workers=workers, quiet=True)
        swarmlab.Lab.connect(name).down(quiet=True)
        assert leftovers(name) == NOTHING

    return lab


def typed(lab: swarmlab.Lab, node: str, cmd: str, timeout: float = 90) -> str:
    """Run ``cmd`` on ``node`` as a learner's ``%%node`` cell does: the command, then its
    entry (with the exit code) in the node's history, which checks read as evidence."""
    from swarmlab import history

    target = lab.node(node)
    res = target.run(cmd, timeout=timeout)
    history.record(target, cmd, res.exit_code)
    return str(res.check().stdout)
