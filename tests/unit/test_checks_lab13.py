"""Lab 13's checks on snapshots recorded from a real cluster (tests/fixtures/record_lab12_13.py),
their probes (the client's tally, the tasks' health) replayed as the real nodes gave them."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status
from tests.fixtures.recorded import replayed, snapshot
from tests.unit.evidence import edited, judge, on_snapshot, replay


def check(check_id: str, snap: str) -> CheckResult:
    if snap == "healthy-1m2w":  # lab 13's starting state: no probe gets that far
        return judge(check_id, snap, settle_s=0)
    return replay(check_id, snap, settle_s=0)


def fails(res: CheckResult, *words: str) -> None:
    assert res.status is Status.FAIL, str(res)
    text = f"{res.message} {res.hint}"
    for w in words:
        assert w in text, f"{w!r} not in: {res}"


# ----- 13.health ----------------------------------------------------------------------------
def test_health_passes_with_its_own_command_every_2s_in_dnsrr():
    res = check("13.health", "web-health-2s")
    assert res.passed and "every 2s" in res.message and "healthy" in res.message


def test_health_in_vip_mode_fails_naming_ipvs():
    fails(check("13.health", "web-vip"), "endpoint mode vip", "IPVS", "--endpoint-mode dnsrr")


def test_health_left_to_the_image_fails():
    fails(check("13.health", "web-image-health"), "keeps the image's HEALTHCHECK",
          "--health-cmd")


def test_health_as_shipped_without_web_fails():
    fails(check("13.health", "healthy-1m2w"), "no service named web")


# ----- 13.stop-first ------------------------------------------------------------------------
def test_stop_first_passes_with_the_client_s_failed_requests():
    res = check("13.stop-first", "web-stop-first")
    assert res.passed and "requests failed" in res.message
    assert res.details["failed"] > 0


def test_stop_first_before_any_update_fails():
    fails(check("13.stop-first", "web-health-2s"), "runs swarmlab/web:v1, not swarmlab/web:v2",
          "--update-order stop-first")


def test_stop_first_done_with_start_first_fails():
    fails(check("13.stop-first", "web-v2-start-first"), "order is start-first, not stop-first")


# ----- 13.start-first -----------------------------------------------------------------------
def test_start_first_passes_with_no_failed_request():
    res = check("13.start-first", "web-start-first")
    assert res.passed and "0 of" in res.message and res.details["failed"] == 0


def test_start_first_without_resetting_the_tally_fails():
    fails(check("13.start-first", "web-start-first-not-reset"), "not reset", "requests reset")


def test_start_first_still_on_v2_fails():
    fails(check("13.start-first", "web-stop-first"), "not swarmlab/web:v1",
          "--update-order start-first")


# ----- 13.auto-rollback ---------------------------------------------------------------------
def test_auto_rollback_passes_when_the_swarm_undid_the_broken_update():
    res = check("13.auto-rollback", "web-broken-auto-rollback")
    assert res.passed and "by itself" in res.message


def _rollback_monitored(raw: dict) -> None:
    """The cluster seconds before the rollback ended: its v1 task made and running, the
    rollback in its monitor window, no task left to replace (a state a full run caught)."""
    for svc in raw["services"]["body"]:
        if svc["Spec"]["Name"] == "web":
            svc["UpdateStatus"].update(State="rollback_started",
                                       StartedAt="2026-12-02T18:39:45.0Z")
            svc["UpdateStatus"].pop("CompletedAt", None)


def test_auto_rollback_waits_for_the_rollback_s_monitor_window():
    done = "web-broken-auto-rollback"
    res = on_snapshot("13.auto-rollback", edited(done, _rollback_monitored), replayed(done),
                      read_again=snapshot(done), settle_s=5)
    assert res.passed, str(res)


def test_auto_rollback_that_does_not_end_fails_saying_so():
    done = "web-broken-auto-rollback"
    started = edited(done, _rollback_monitored)
    fails(on_snapshot("13.auto-rollback", started, replayed(done), read_again=started,
                      settle_s=1), "has not finished (rollback_started)", "check again")


def test_auto_rollback_with_the_default_pause_fails():
    fails(check("13.auto-rollback", "web-broken-paused"), "paused", "failure action is pause",
          "--update-failure-action rollback")


def test_auto_rollback_rolled_back_by_hand_fails():
    fails(check("13.auto-rollback", "web-broken-rolled-back-by-hand"), "by hand")


def test_auto_rollback_before_any_broken_update_fails():
    fails(check("13.auto-rollback", "web-start-first"), "No task of swarmlab/web:broken")
