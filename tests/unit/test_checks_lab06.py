"""Lab 06's update policy, rolling update and rollback on snapshots recorded from real
clusters (recorded with a 2 s update delay, as the notebook tests run it)."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status
from tests.unit.evidence import judge


def check(check_id: str, snap: str, **kw: object) -> CheckResult:
    kw.setdefault("update_delay", "2s")
    return judge(check_id, snap, wait_s=0, **kw)  # type: ignore[arg-type]


# ----- 06.configured ----------------------------------------------------------------------
def test_configured_passes_with_parallelism_2_and_the_delay():
    res = check("06.configured", "web-configured")
    assert res.passed and "replaces 2 at a time and waits 2s" in res.message


def test_configured_with_the_default_parallelism_fails():
    res = check("06.configured", "web-par1-configured")
    assert res.status is Status.FAIL and "parallelism is 1 (the default), not 2" in res.message
    assert "--update-parallelism 2" in res.hint


def test_configured_with_another_delay_than_asked_fails():
    res = check("06.configured", "web-configured", update_delay="10s")
    assert res.status is Status.FAIL and "update delay is 2s, not 10s" in res.message


def test_configured_without_the_service_fails():
    res = check("06.configured", "healthy-1m2w")
    assert res.status is Status.FAIL and "no service named web" in res.message
    assert "--update-parallelism 2" in res.hint


# ----- 06.updated -------------------------------------------------------------------------
def test_updated_passes_for_batches_of_two_spaced_by_the_delay():
    res = check("06.updated", "web-updated")
    assert res.passed and "replaced 2 at a time" in res.message


def test_updated_one_task_at_a_time_fails():
    res = check("06.updated", "web-par1-updated")
    assert res.status is Status.FAIL and "parallelism 1 instead of 2" in res.message
    assert "docker service rollback web" in res.hint


def test_updated_before_updating_fails():
    res = check("06.updated", "web-configured")
    assert res.status is Status.FAIL and "still runs swarmlab/web:v1" in res.message
    assert "--image swarmlab/web:v2" in res.hint


def test_updated_to_an_image_other_than_asked_fails():
    res = check("06.updated", "web-updated", new_image="swarmlab/web:2")
    assert res.status is Status.FAIL and "asks for swarmlab/web:v2, not swarmlab/web:2" \
        in res.message


# ----- 06.rollback ------------------------------------------------------------------------
def test_rollback_passes_when_every_task_runs_v1_again():
    res = check("06.rollback", "web-rolled-back")
    assert res.passed and "rolled back" in res.message


def test_rollback_not_done_fails():
    res = check("06.rollback", "web-updated")
    assert res.status is Status.FAIL and "runs swarmlab/web:v2, not swarmlab/web:v1" in res.message
    assert "docker service rollback web" in res.hint


def test_rollback_on_a_service_never_updated_fails():
    res = check("06.rollback", "web-configured")
    assert res.status is Status.FAIL and "never updated" in res.message
