"""Lab 10's checks on snapshots recorded from real clusters (the service is called app in
the drain recordings, web in the others), with recorded evidence for 10.active."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status
from tests.unit.evidence import entry, judge

DRAINED = entry("docker node update --availability drain worker1")


def check(check_id: str, snap: str, **kw: object) -> CheckResult:
    return judge(check_id, snap, **kw)  # type: ignore[arg-type]


# ----- 10.drain ---------------------------------------------------------------------------
def test_drain_passes_when_worker1s_tasks_moved_elsewhere():
    res = check("10.drain", "app-worker1-drained", service="app", settle_s=0)
    assert res.passed and "task(s) of app moved off it" in res.message


def test_drain_before_the_service_was_created_fails():
    res = check("10.drain", "app-created-after-drain", service="app", settle_s=0)
    assert res.status is Status.FAIL and "drained before app was created" in res.message
    assert "--availability active worker1" in res.hint and "--force app" in res.hint


def test_draining_the_wrong_node_is_named():
    res = check("10.drain", "app-worker1-drained", service="app", node="worker2", settle_s=0)
    assert res.status is Status.FAIL and "worker1 is drain, not worker2" in res.message
    assert "--availability active worker1" in res.hint


def test_drain_not_done_yet_fails():
    res = check("10.drain", "app-worker1-back", service="app", settle_s=0)
    assert res.status is Status.FAIL and "worker1 is active, not drain" in res.message


# ----- 10.active --------------------------------------------------------------------------
def test_active_passes_after_a_drain_that_passed_its_check():
    res = check("10.active", "app-worker1-active-again", service="app", passed=("10.drain",))
    assert res.passed and "All 3 nodes are active" in res.message


def test_active_passes_with_the_drain_seen_in_the_history():
    res = check("10.active", "app-worker1-active-again", service="app",
                history={"manager1": DRAINED})
    assert res.passed


def test_active_when_no_node_was_ever_drained_or_paused_fails():
    res = check("10.active", "app-worker1-back", service="app")
    assert res.status is Status.FAIL and "none was drained or paused" in res.message
    assert "10.drain and 10.pause first" in res.hint


def test_active_with_a_drain_command_that_failed_fails():
    res = check("10.active", "app-worker1-back", service="app",
                history={"manager1": entry("docker node update --availability drain wrker1", 1)})
    assert res.status is Status.FAIL and "none was drained or paused" in res.message


def test_active_while_worker1_is_still_drained_fails():
    res = check("10.active", "app-worker1-drained", service="app", passed=("10.drain",))
    assert res.status is Status.FAIL and "worker1 is still drain" in res.message
    assert "docker node update --availability active worker1" in res.hint


# ----- 10.pause ---------------------------------------------------------------------------
def test_pause_passes_when_worker2_was_paused_before_the_scale():
    res = check("10.pause", "web-worker2-paused-then-scaled", settle_s=0)
    assert res.passed and "worker2 is paused and still runs its" in res.message


def test_pause_after_the_scale_instead_of_before_is_named():
    res = check("10.pause", "web-scaled-then-worker2-paused", settle_s=0)
    assert res.status is Status.FAIL and "web was scaled before worker2 was paused" in res.message
    assert "pause first, then scale" in res.hint


def test_pause_not_done_fails():
    res = check("10.pause", "app-worker1-back", service="app", settle_s=0)
    assert res.status is Status.FAIL and "worker2 is active, not pause" in res.message


def test_pausing_the_drained_node_instead_is_named():
    res = check("10.pause", "app-worker1-drained", service="app", node="worker1", settle_s=0)
    assert res.status is Status.FAIL and "worker1 is drain, not pause" in res.message


# ----- 10.label ---------------------------------------------------------------------------
def test_label_passes_when_worker2_has_storage_ssd():
    res = check("10.label", "fast-on-ssd-worker2")
    assert res.passed and "worker2 has the label storage=ssd" in res.message


def test_label_with_a_typo_in_the_value_on_the_wrong_node_fails():
    res = check("10.label", "fast-pending-label-typo")  # worker1 has storage=sdd
    assert res.status is Status.FAIL and "worker2 has no label storage" in res.message


def test_label_on_worker1_instead_of_worker2_is_named():
    res = check("10.label", "viz-unplaced-drain")  # recorded with worker1 storage=ssd
    assert res.status is Status.FAIL and "worker1 has storage=ssd, not worker2" in res.message
    assert "--label-rm storage worker1" in res.hint


# ----- 10.constraint ----------------------------------------------------------------------
def test_constraint_passes_when_every_task_runs_on_the_labelled_node():
    res = check("10.constraint", "fast-on-ssd-worker2", settle_s=0)
    assert res.passed and "All 3 tasks of fast run on worker2 (3)" in res.message


def test_constraint_with_no_node_carrying_the_label_leaves_tasks_pending():
    res = check("10.constraint", "fast-pending-label-typo", settle_s=0)
    assert res.status is Status.FAIL and "No node has the label storage=ssd" in res.message
    assert "10.label first" in res.hint


def test_constraint_missing_fails():
    res = check("10.constraint", "app-worker1-back", service="app", settle_s=0, replicas=6)
    assert res.status is Status.FAIL and "app has no constraint" in res.message
