"""Labs 00 and 01's checks on real clusters: PASS on the right state, FAIL with a hint on
a plausible mistake. Each step types the command a learner would."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import swarmlab
from swarmlab.checks import CheckResult, Status
from swarmlab.state import take_snapshot
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, leftovers

pytestmark = pytest.mark.integration
LAB00, LAB01 = lab_name("hchk-t00"), lab_name("hchk-t01")
SWARMLAB = str(Path(sys.executable).with_name("swarmlab"))


@pytest.fixture(scope="module")
def lab00(host_engine: Any) -> Iterator[swarmlab.Lab]:
    lab = swarmlab.Lab.up(LAB00, managers=1, workers=2, recreate=True, quiet=True)
    yield lab
    lab.down(quiet=True)
    assert leftovers(LAB00) == NOTHING


@pytest.fixture(scope="module")
def lab01(host_engine: Any) -> Iterator[swarmlab.Lab]:
    """Lab 01 starts with three engines and no swarm."""
    lab = swarmlab.Lab.up(LAB01, managers=1, workers=2, form_swarm=False, recreate=True,
                          quiet=True)
    yield lab
    lab.down(quiet=True)
    assert leftovers(LAB01) == NOTHING


def check(lab: swarmlab.Lab, check_id: str, **params: Any) -> CheckResult:
    res = lab.check(check_id, **params)
    assert isinstance(res, CheckResult)
    return res


def until(lab: swarmlab.Lab, check_id: str, status: Status, timeout: float = 40,
          **params: Any) -> CheckResult:
    """The check's result once it is ``status`` (the swarm takes seconds to show a change)."""
    deadline = time.monotonic() + timeout
    while True:
        res = check(lab, check_id, **params)
        if res.status is status or time.monotonic() > deadline:
            return res
        time.sleep(0.5)


def sh(lab: swarmlab.Lab, node: str, cmd: str) -> str:
    return str(lab.run(node, cmd, timeout=60).check().stdout)


def retry(lab: swarmlab.Lab, node: str, cmd: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while lab.run(node, cmd, timeout=30).exit_code != 0:
        assert time.monotonic() < deadline, f"`{cmd}` kept failing"
        time.sleep(1)


def cli_exec(lab: str, node: str, *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SWARMLAB, "exec", "--name", lab, node, "--", *cmd],
                          capture_output=True, text=True, timeout=60)


# ----- lab 00 -------------------------------------------------------------------------
def test_snapshot_of_a_real_cluster_is_quick_and_complete(lab00: swarmlab.Lab) -> None:
    t = time.monotonic()
    snap = take_snapshot(lab00)
    took = time.monotonic() - t
    assert snap.manageable and {n.hostname for n in snap.nodes} == set(lab00.node_names)
    assert snap.leader is not None and snap.leader.hostname == "manager1"
    assert took < 3, f"snapshot took {took:.2f}s"


def test_hello_fails_until_a_docker_command_ran_then_passes(lab00: swarmlab.Lab) -> None:
    res = check(lab00, "00.hello")
    assert res.status is Status.FAIL and "%%node manager1" in res.hint
    assert cli_exec(LAB00, "worker1", "ls", "/").returncode == 0
    res = check(lab00, "00.hello")
    assert res.status is Status.FAIL and "`ls /` on worker1" in res.message
    done = cli_exec(LAB00, "manager1", "docker", "version")
    assert done.returncode == 0 and "Server" in done.stdout
    res = check(lab00, "00.hello")
    assert res.passed, str(res)
    assert "docker version" in res.message


# ----- lab 01, in the notebook's order --------------------------------------------------
def test_init_on_the_wrong_node_fails_then_init_on_manager1_passes(lab01: swarmlab.Lab) -> None:
    res = check(lab01, "01.init")
    assert res.status is Status.FAIL and "no swarm" in res.message
    addr = lab01.node("manager1").address
    assert f"--advertise-addr {addr}" in res.hint
    sh(lab01, "worker1", f"docker swarm init --advertise-addr {lab01.node('worker1').address}")
    res = check(lab01, "01.init")
    assert res.status is Status.FAIL and "created on worker1" in res.message
    assert "on worker1: `docker swarm leave --force`" in res.hint
    sh(lab01, "worker1", "docker swarm leave --force")
    sh(lab01, "manager1", f"docker swarm init --advertise-addr {addr}")
    assert until(lab01, "01.init", Status.PASS).passed


def test_join_names_the_worker_that_has_not_joined(lab01: swarmlab.Lab) -> None:
    token = sh(lab01, "manager1", "docker swarm join-token -q worker").strip()
    addr = lab01.node("manager1").address
    sh(lab01, "worker1", f"docker swarm join --token {token} {addr}:2377")
    res = until(lab01, "01.join", Status.FAIL)
    assert res.message == "worker2 is not in the swarm yet."
    assert "docker swarm join-token worker" in res.hint
    sh(lab01, "worker2", f"docker swarm join --token {token} {addr}:2377")
    res = until(lab01, "01.join", Status.PASS)
    assert res.passed, str(res)


def test_leave_alone_fails_until_the_node_is_removed(lab01: swarmlab.Lab) -> None:
    res = check(lab01, "01.leave-rm")
    assert res.status is Status.FAIL and "worker2 is still in the swarm" in res.message
    sh(lab01, "worker2", "docker swarm leave")
    # The managers see it Down a few seconds later; until then it is "still in".
    deadline = time.monotonic() + 40
    while "still listed" not in res.message and time.monotonic() < deadline:
        time.sleep(0.5)
        res = check(lab01, "01.leave-rm")
    assert res.status is Status.FAIL and "still listed" in res.message
    assert "docker node rm worker2" in res.hint
    retry(lab01, "manager1", "docker node rm worker2")  # "is not down" for ~13 s
    res = until(lab01, "01.leave-rm", Status.PASS)
    assert res.passed, str(res)


def _rejoin_worker2(lab: swarmlab.Lab) -> None:
    state = sh(lab, "worker2", "docker info -f '{{.Swarm.LocalNodeState}}'").strip()
    if state != "active":
        token = sh(lab, "manager1", "docker swarm join-token -q worker").strip()
        sh(lab, "worker2",
           f"docker swarm join --token {token} {lab.node('manager1').address}:2377")


def test_promoting_the_wrong_worker_fails_then_worker2_passes(lab01: swarmlab.Lab) -> None:
    _rejoin_worker2(lab01)
    sh(lab01, "manager1", "docker node promote worker1")
    res = check(lab01, "01.promote")
    assert res.status is Status.FAIL and res.message == "You promoted worker1, not worker2."
    assert "docker node demote worker1" in res.hint
    # A manager can be demoted once it is in the Raft member list (a second or two).
    retry(lab01, "manager1", "docker node demote worker1")
    sh(lab01, "manager1", "docker node promote worker2")
    res = until(lab01, "01.promote", Status.PASS)
    assert res.passed and "2 managers" in res.message, str(res)


def test_demote_fails_while_a_manager_then_passes(lab01: swarmlab.Lab) -> None:
    res = check(lab01, "01.demote")
    assert res.status is Status.FAIL and "still" in res.message
    assert "docker node demote worker2" in res.hint
    retry(lab01, "manager1", "docker node demote worker2")
    res = until(lab01, "01.demote", Status.PASS)
    assert res.passed, str(res)
    report = lab01.check("01.init", "01.join", "01.demote")
    assert report.passed, str(report)


def test_swarmlab_check_finds_the_lab_named_in_the_environment(
    lab00: swarmlab.Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli_exec(LAB00, "worker1", "ls", "/").returncode == 0
    monkeypatch.setenv("SWARMLAB_LAB", LAB00)
    monkeypatch.setenv("SWARMLAB_LAB_PARAMS", '{"word": "ls"}')
    res = swarmlab.check("00.hello")
    assert isinstance(res, CheckResult) and res.passed, str(res)
    assert "`ls /`" in res.message  # the param from the environment chose the command


def test_ipvs_probe_agrees_with_the_host_kernel(lab00: swarmlab.Lab) -> None:
    from swarmlab.capabilities import ipvs_available

    ok, why = ipvs_available(lab00.node("worker1"))
    # dind nodes share the host's kernel: the node sees IPVS exactly when the host has it.
    assert ok == Path("/proc/net/ip_vs").exists(), why
