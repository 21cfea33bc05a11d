"""Lab 05's checks on snapshots recorded from real clusters, with the kit's recorded power
events: a stopped worker's tasks move, they stay when it returns, and a rebalance."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status
from swarmlab.checks.service_state import created
from tests.fixtures.recorded import snapshot
from tests.unit.evidence import judge

CREATED = created(snapshot("app-worker1-down").service("app"))  # type: ignore[arg-type]
STOPPED = (("stop", "worker1", CREATED + 10),)
STOPPED_AND_STARTED = (*STOPPED, ("start", "worker1", CREATED + 40))


def check(check_id: str, snap: str, **kw: object) -> CheckResult:
    return judge(check_id, snap, wait_s=0, **kw)  # type: ignore[arg-type]


# ----- 05.rescheduled ---------------------------------------------------------------------
def test_rescheduled_passes_when_worker1_was_stopped_and_its_tasks_run_elsewhere():
    res = check("05.rescheduled", "app-worker1-down", stopped=("worker1",), events=STOPPED)
    assert res.passed and "moved off worker1 when it went Down" in res.message


def test_rescheduled_when_worker1_was_drained_instead_of_stopped_fails():
    res = check("05.rescheduled", "app-worker1-drained")
    assert res.status is Status.FAIL and "worker1 is Drain, not stopped" in res.message
    assert "went Down" not in res.message
    assert "--availability active worker1" in res.hint and "lab.stop('worker1')" in res.hint


def test_rescheduled_when_worker1_went_away_without_the_kit_fails():
    res = check("05.rescheduled", "app-worker1-down", stopped=("worker1",))
    assert res.status is Status.FAIL and "not powered off with the kit" in res.message


def test_rescheduled_stopping_worker2_instead_is_named():
    res = check("05.rescheduled", "app-worker1-back", stopped=("worker2",),
                events=(("stop", "worker2", CREATED + 10),))
    assert res.status is Status.FAIL and "You stopped worker2, not worker1" in res.message
    assert "lab.start('worker2')" in res.hint


def test_rescheduled_before_anything_was_stopped_fails():
    res = check("05.rescheduled", "lab03-hello", service="hello")
    assert res.status is Status.FAIL and "worker1 is still running" in res.message
    assert "lab.stop('worker1')" in res.hint


# ----- 05.no-rebalance --------------------------------------------------------------------
def test_no_rebalance_passes_when_worker1_came_back_and_runs_nothing():
    res = check("05.no-rebalance", "app-worker1-back", events=STOPPED_AND_STARTED)
    assert res.passed and "worker1 is back and Ready, but runs none" in res.message


def test_no_rebalance_with_worker1_drained_says_it_is_the_drain_not_the_swarm():
    res = check("05.no-rebalance", "app-worker1-drained")
    assert res.status is Status.FAIL and "worker1 is Drain, not stopped" in res.message
    assert "is back" not in res.message


def test_no_rebalance_when_worker1_was_never_stopped_fails():
    res = check("05.no-rebalance", "app-worker1-back")
    assert res.status is Status.FAIL and "has not been powered off with the kit" in res.message
    assert "05.rescheduled first" in res.hint


def test_no_rebalance_while_worker1_is_still_off_fails():
    res = check("05.no-rebalance", "app-worker1-down", stopped=("worker1",), events=STOPPED)
    assert res.status is Status.FAIL and "worker1 is still powered off" in res.message
    assert "lab.start('worker1')" in res.hint


def test_no_rebalance_after_a_rebalance_fails():
    res = check("05.no-rebalance", "app-rebalanced", events=STOPPED_AND_STARTED)
    assert res.status is Status.FAIL and "they were moved back" in res.message


# ----- 05.rebalanced ----------------------------------------------------------------------
def test_rebalanced_passes_when_the_tasks_are_spread_again():
    res = check("05.rebalanced", "app-rebalanced", events=STOPPED_AND_STARTED)
    assert res.passed and "spread again" in res.message


def test_rebalanced_before_rebalancing_fails_and_says_how():
    res = check("05.rebalanced", "app-worker1-back", events=STOPPED_AND_STARTED)
    assert res.status is Status.FAIL and "worker1 still runs none" in res.message
    assert "docker service update --force app" in res.hint


def test_rebalanced_with_worker1_drained_fails():
    res = check("05.rebalanced", "app-worker1-drained")
    assert res.status is Status.FAIL and "worker1 is Drain, not stopped" in res.message


def test_rescheduled_still_passes_from_the_task_history_once_worker1_is_back():
    res = check("05.rescheduled", "app-worker1-back", events=STOPPED_AND_STARTED)
    assert res.passed and "worker1 is back now, and still runs none of them" in res.message


def test_every_recovery_check_without_the_service_fails():
    for ex in ("05.rescheduled", "05.no-rebalance", "05.rebalanced"):
        res = check(ex, "healthy-1m2w")
        assert res.status is Status.FAIL and "no service named app" in res.message
        assert "docker service create --name app" in res.hint


def test_rebalanced_when_worker1_was_never_stopped_fails():
    res = check("05.rebalanced", "app-worker1-back")
    assert res.status is Status.FAIL and "has not been powered off with the kit" in res.message
    assert "lab.stop('worker1')" in res.hint
