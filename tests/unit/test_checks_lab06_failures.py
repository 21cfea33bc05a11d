"""Lab 06's broken updates on snapshots recorded from real clusters: failure action pause
(given explicitly, seen in the command history) and continue."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status
from tests.unit.evidence import entry, judge

# The CLI waits for a paused update and then exits 1: the exit code does not matter here.
PAUSE = entry("docker service update -q --update-failure-action pause "
              "--image swarmlab/web:broken web", exit_code=1)


def check(check_id: str, snap: str, **kw: object) -> CheckResult:
    return judge(check_id, snap, wait_s=0, **kw)  # type: ignore[arg-type]


# ----- 06.failure-action ------------------------------------------------------------------
def test_failure_action_passes_for_an_explicit_pause_that_paused():
    res = check("06.failure-action", "web-broken-pause", history={"manager1": PAUSE})
    assert res.passed and "paused after its first batch failed" in res.message


def test_failure_action_left_at_the_default_pause_fails():
    res = check("06.failure-action", "web-broken-pause",
                history={"manager1": entry("docker service update --image swarmlab/web:broken "
                                           "web", exit_code=1)})
    assert res.status is Status.FAIL and "only because pause is the default" in res.message
    assert "--update-failure-action pause" in res.hint


def test_failure_action_continue_instead_of_pause_fails():
    res = check("06.failure-action", "web-broken-continue", history={"manager1": PAUSE})
    assert res.status is Status.FAIL and "The failure action is continue" in res.message
    assert "docker service rollback web" in res.hint


def test_failure_action_without_the_broken_image_fails():
    res = check("06.failure-action", "services", history={"manager1": PAUSE})
    assert res.status is Status.FAIL and "not the broken image" in res.message


# ----- 06.continue ------------------------------------------------------------------------
def test_continue_passes_when_the_update_went_past_failed_tasks():
    res = check("06.continue", "web-broken-continue")
    assert res.passed and "went on past failed tasks: 4 slots" in res.message


def test_continue_with_failure_action_pause_fails():
    res = check("06.continue", "web-broken-pause")
    assert res.status is Status.FAIL and "The failure action is pause, not continue" in res.message
    assert "--update-failure-action continue" in res.hint and "rollback" in res.hint


def test_continue_without_the_broken_image_fails():
    res = check("06.continue", "services")  # web on v1
    assert res.status is Status.FAIL and "runs swarmlab/web:v1, not the broken image" in res.message
    assert "--image swarmlab/web:broken" in res.hint
