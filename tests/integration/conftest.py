"""Integration tests run against real dind clusters on the host engine."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import docker
import pytest

import swarmlab
from swarmlab.checks import CheckResult, Status
from tests.conftest import lab_name

LABEL = "io.swarmlab.lab"


def leftovers(lab: str) -> dict[str, int]:
    """How many containers, networks and volumes still carry the lab's label."""
    client = docker.from_env()
    flt = {"label": f"{LABEL}={lab}"}
    return {
        # ignore_removed: another lane may delete its lab's containers while this lists
        "containers": len(client.containers.list(all=True, ignore_removed=True, filters=flt)),
        "networks": len(client.networks.list(filters=flt)),
        "volumes": len(client.volumes.list(filters=flt)),
    }


NOTHING = {"containers": 0, "networks": 0, "volumes": 0}


def remove_if_left(proc: subprocess.Popen[str], lab: str) -> None:
    """After a test of an interrupted ``swarmlab up``, pass or fail: the command is ended
    and whatever of ``lab`` is still there is removed (a failed test leaves nothing)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    if leftovers(lab) != NOTHING:
        from swarmlab.providers import get_provider

        get_provider("dind").delete(lab)


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


# ----- shared clusters ----------------------------------------------------------------------
# One cluster per shape per test process (``s1x2-<suffix>``), made on first use and brought
# back to a lab's starting state by the kit's own ``start_lab`` before each module that
# uses it (whatever the module before did to it: killed, removed or stopped nodes, services,
# a broken swarm). Deleted, with nothing left, when the session ends (tests/conftest.py).
SHAPES = {"1+2": "03", "1+2 no swarm": "01", "3+1": "02"}  # shape -> a lab that has it
SHARED: set[str] = set()


def shared_name(shape: str = "1+2") -> str:
    """The name of this run's shared cluster of ``shape`` (``1+2``, ``3+1``)."""
    managers, workers = shape.split()[0].split("+")
    return lab_name(f"s{managers}x{workers}")


def shared_lab(shape: str = "1+2", lab_id: str | None = None, **params: Any) -> swarmlab.Lab:
    """The shared cluster of ``shape``, reset to lab ``lab_id``'s start (default: a lab of
    that shape); ``params`` go to ``start_lab`` (e.g. ``update_delay="2s"``)."""
    name = shared_name(shape)
    SHARED.add(name)
    return swarmlab.start_lab(lab_id or SHAPES[shape], name=name, quiet=True, **params)


def delete_shared() -> None:
    """Remove every shared cluster this process made; each must leave nothing behind."""
    from swarmlab.providers import get_provider

    for name in sorted(SHARED):
        get_provider("dind").delete(name)
        assert leftovers(name) == NOTHING, name
    SHARED.clear()


def module_lab(shape: str = "1+2", lab_id: str | None = None) -> Any:
    """A module-scoped fixture: the shared cluster of ``shape``, reset for the module."""

    @pytest.fixture(scope="module")
    def lab(host_engine: Any) -> swarmlab.Lab:
        return shared_lab(shape, lab_id)

    return lab


def typed(lab: swarmlab.Lab, node: str, cmd: str, timeout: float = 90) -> str:
    """Run ``cmd`` on ``node`` as a learner's ``%%node`` cell does: the command, then its
    entry (with the exit code) in the node's history, which checks read as evidence."""
    from swarmlab import history

    target = lab.node(node)
    res = target.run(cmd, timeout=timeout)
    history.record(target, cmd, res.exit_code)
    return str(res.check().stdout)


# ----- verdicts -----------------------------------------------------------------------------
def check(lab: swarmlab.Lab, check_id: str, **params: Any) -> CheckResult:
    """Run a check on the live lab, as its notebook cell does; print the verdict."""
    result = lab.check(check_id, **params)
    assert isinstance(result, CheckResult)
    print(result)
    return result


def passes(result: CheckResult) -> None:
    assert result.status is Status.PASS, str(result)


def fails(result: CheckResult, *words: str) -> None:
    """FAIL, with a hint, and every word in the message or the hint."""
    assert result.status is Status.FAIL, str(result)
    assert result.hint, str(result)
    text = f"{result.message} {result.hint}"
    for w in words:
        assert w in text, f"{w!r} not in: {result}"


def check_passes(lab: swarmlab.Lab, check_id: str, **params: Any) -> CheckResult:
    result = check(lab, check_id, **params)
    passes(result)
    return result


def check_fails(lab: swarmlab.Lab, check_id: str, *named: str, **params: Any) -> CheckResult:
    """The check FAILs, and its message or hint names each of ``named``."""
    result = check(lab, check_id, **params)
    fails(result, *named)
    return result
