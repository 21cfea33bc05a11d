"""Lab 14's checks on snapshots recorded from real clusters (tests/fixtures/
record_labs_14_15.py); 14.oom replays what the nodes answered when it was recorded."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status
from tests.unit.evidence import judge, replay


def check(check_id: str, snap: str, **kw: object) -> CheckResult:
    return judge(check_id, snap, settle_s=0, **kw)  # type: ignore[arg-type]


def oom(snap: str) -> CheckResult:
    return replay("14.oom", snap, settle_s=0)


# ----- 14.reserve ---------------------------------------------------------------------------
def test_reserve_passes_when_the_fourth_task_waits_for_resources():
    res = check("14.reserve", "hungry-pending")
    assert res.passed and "3 of 4 tasks of hungry run" in res.message
    assert "insufficient resources on 3 nodes" in res.message


def test_a_limit_instead_of_a_reservation_is_named():
    res = check("14.reserve", "hungry-limit-not-reserve")
    assert res.status is Status.FAIL and "a limit (--limit-cpu" in res.message
    assert "--reserve-cpu" in res.hint


def test_a_reservation_that_every_node_can_hold_is_named():
    res = check("14.reserve", "hungry-reserve-too-small")
    assert res.status is Status.FAIL and "All 4 tasks of hungry found room" in res.message
    assert "0.5 CPUs" in res.message and "reserve more" in res.hint


def test_reserve_with_the_wrong_replica_count_fails():
    res = check("14.reserve", "hungry-pending", replicas=3)
    assert res.status is Status.FAIL and "4 replicas, not 3" in res.message


def test_reserve_without_the_service_fails():
    res = check("14.reserve", "one-max1")
    assert res.status is Status.FAIL and "no service named hungry" in res.message


# ----- 14.oom -------------------------------------------------------------------------------
def test_oom_passes_when_the_kernel_killed_the_task():
    res = oom("leak-oom-killed")
    assert res.passed and "killed with exit code 137" in res.message
    assert "OOMKilled true" in res.message


def test_oom_without_a_memory_limit_is_named():
    res = oom("leak-no-limit")
    assert res.status is Status.FAIL and "has no memory limit" in res.message
    assert "--limit-memory 32m" in res.hint


def test_oom_with_a_limit_the_task_fits_under_is_named():
    res = oom("leak-limit-too-high")
    assert res.status is Status.FAIL and "limited to 512 MiB" in res.message
    assert "completed (exit 0)" in res.message


def test_a_memory_reservation_is_not_a_limit():
    res = oom("leak-reserved-not-limited")
    assert res.status is Status.FAIL and "reserves 32 MiB but has no memory limit" in res.message


def test_a_task_killed_by_hand_is_not_an_oom_kill():
    res = oom("leak-killed-by-hand")
    assert res.status is Status.FAIL and "not by the out-of-memory killer" in res.message
    assert "do not `docker kill`" in res.hint


# ----- 14.spread ----------------------------------------------------------------------------
def test_spread_passes_with_three_tasks_in_each_zone():
    res = check("14.spread", "one-max1")
    assert res.passed and "east 3, west 3" in res.message


def test_spread_without_the_placement_preference_is_named():
    res = check("14.spread", "zoned-no-pref")
    assert res.status is Status.FAIL and "has no placement preference" in res.message
    assert "--placement-pref-add spread=node.labels.zone" in res.hint


def test_spread_with_a_node_left_unlabelled_is_named():
    res = check("14.spread", "zoned-worker2-unlabelled")
    assert res.status is Status.FAIL and "worker2 has no zone label" in res.message
    assert "zone=west" in res.hint


# ----- 14.max-per-node ----------------------------------------------------------------------
def test_max_per_node_passes_with_one_task_pending():
    res = check("14.max-per-node", "one-max1")
    assert res.passed and "one task on each of 3 nodes" in res.message
    assert "max replicas per node" in res.message


def test_max_per_node_missing_is_named():
    res = check("14.max-per-node", "one-no-max")
    assert res.status is Status.FAIL and "has no per-node maximum" in res.message
    assert "--replicas-max-per-node 1" in res.hint


def test_max_per_node_of_two_is_named():
    res = check("14.max-per-node", "one-max2")
    assert res.status is Status.FAIL and "allows 2 tasks per node" in res.message


def test_max_per_node_with_too_few_replicas_to_see_one_wait_fails():
    res = check("14.max-per-node", "one-max1", replicas=3)
    assert res.status is Status.FAIL and "4 replicas, not 3" in res.message


# ----- rules added to running services ------------------------------------------------------
def test_a_spread_preference_added_to_running_tasks_moves_nothing_until_forced():
    res = check("14.spread", "zoned-one-rules-added-late")
    assert res.status is Status.FAIL and "not even over the zones" in res.message
    assert "--force zoned" in res.hint


def test_a_per_node_maximum_added_to_running_tasks_moves_nothing_until_forced():
    res = check("14.max-per-node", "zoned-one-rules-added-late")
    assert res.status is Status.FAIL and "still run more" in res.message
    assert "--force one" in res.hint
