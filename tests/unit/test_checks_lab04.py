"""Lab 04's check on snapshots recorded from real clusters."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status
from tests.unit.evidence import judge


def check(snap: str, **kw: object) -> CheckResult:
    return judge("04.global", snap, wait_s=0, **kw)  # type: ignore[arg-type]


def test_global_passes_with_one_task_on_each_node():
    res = check("services")  # agent: --mode global on 3 nodes
    assert res.passed and "exactly one task on each of the 3 Ready nodes" in res.message


def test_global_skips_a_drained_node():
    res = check("viz-unplaced-drain")  # worker2 drained: no task expected there
    assert res.passed and "(manager1, worker1)" in res.message


def test_global_made_with_replicas_instead_of_mode_global_fails():
    res = check("lab04-replicated-agent")
    assert res.status is Status.FAIL and "agent is replicated with 3 replica(s), not global" \
        in res.message
    assert "docker service rm agent" in res.hint and "--mode global" in res.hint


def test_global_under_another_name_is_named():
    res = check("services", service="monitor")
    assert res.status is Status.FAIL and "Your global service is called agent, not monitor" \
        in res.message


def test_global_not_created_yet_fails():
    res = check("healthy-1m2w")
    assert res.status is Status.FAIL and "no service named agent" in res.message
    assert "--mode global" in res.hint
