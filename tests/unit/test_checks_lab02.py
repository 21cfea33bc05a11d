"""Lab 02's checks on snapshots recorded from real clusters, with recorded evidence: the
commands run on the nodes, the kit's power events and earlier verdicts."""

from __future__ import annotations

import json
import time

from swarmlab.checks import CheckResult, Status, run_checks
from swarmlab.transport.base import CommandResult
from tests.fixtures.recorded import ADDRESSES, fake_lab, snapshot
from tests.unit.evidence import entry, judge

DEMOTE = entry("docker node demote worker1\ndocker node ls")
PROMOTE = entry("docker node promote worker1\ndocker node ls", at="2026-12-02T14:39:00")


def raft(check_id: str, snap: str, **kw: object) -> CheckResult:
    return judge(check_id, snap, managers=3, workers=1, **kw)  # type: ignore[arg-type]


# ----- 02.three-managers ------------------------------------------------------------------
def test_three_managers_passes_after_worker1_was_promoted_and_demoted_again():
    res = raft("02.three-managers", "raft-3m1w", history={"manager1": PROMOTE + DEMOTE})
    assert res.passed and "3 managers" in res.message and "manager1 is the Leader" in res.message


def test_three_managers_on_the_labs_starting_state_without_any_step_fails():
    res = raft("02.three-managers", "raft-3m1w")
    assert res.status is Status.FAIL and "as the lab started" in res.message
    assert "docker node demote worker1" in res.hint


def test_three_managers_with_a_demote_that_failed_fails():
    res = raft("02.three-managers", "raft-3m1w",
               history={"manager1": PROMOTE + entry("docker node demote worker1", 1)})
    assert res.status is Status.FAIL and "as the lab started" in res.message


def test_demoting_manager2_instead_of_worker1_is_named():
    res = raft("02.three-managers", "raft-manager2-demoted-instead",
               history={"manager1": PROMOTE + entry("docker node demote manager2")})
    assert res.status is Status.FAIL and "You demoted manager2, not worker1" in res.message
    assert "docker node promote manager2" in res.hint and "docker node demote worker1" in res.hint


def test_four_managers_fail_and_say_which_to_demote():
    res = raft("02.three-managers", "raft-4m", history={"manager1": PROMOTE})
    assert res.status is Status.FAIL and "4 managers" in res.message
    assert "docker node demote worker1" in res.hint


# ----- 02.quorum-lost ---------------------------------------------------------------------
MANAGERS = json.dumps([{"NodeID": n, "Addr": f"{ADDRESSES[n]}:2377"}
                       for n in ("manager1", "manager2", "manager3")])
NO_LEADER = ("Error response from daemon: rpc error: code = Unknown desc = The swarm does "
             "not have a leader. It's possible that too few managers are online.")


def survivor(node_ls_ok: bool):  # type: ignore[no-untyped-def]
    def reply(cmd: str) -> CommandResult:
        if "ControlAvailable" in cmd:
            return CommandResult(cmd, 0, f"true {MANAGERS}\n", "")
        if "docker node ls" in cmd:
            return CommandResult(cmd, 0 if node_ls_ok else 1, "", "" if node_ls_ok else NO_LEADER)
        return CommandResult(cmd, 0, "", "")
    return reply


def quorum_lost(snap: str, stopped: tuple[str, ...], node_ls_ok: bool) -> CheckResult:
    lab = fake_lab(managers=3, workers=1, stopped=stopped,
                   replies={"manager1": survivor(node_ls_ok)})
    res = run_checks(lab, ["02.quorum-lost"], snapshot=snapshot(snap), settle_s=0)
    assert isinstance(res, CheckResult)
    return res


def test_quorum_lost_passes_when_two_managers_are_off_and_node_ls_fails():
    res = quorum_lost("quorum-lost-3m", ("manager2", "manager3"), node_ls_ok=False)
    assert res.passed and "fewer than the 2 a quorum needs" in res.message
    assert "does not have a leader" in res.message


def test_quorum_lost_with_only_one_manager_stopped_fails():
    res = quorum_lost("raft-3m1w", ("manager2",), node_ls_ok=True)
    assert res.status is Status.FAIL and "Only manager2 is stopped" in res.message
    assert "lab.stop('manager3')" in res.hint


def test_quorum_lost_stopping_the_worker_instead_is_named():
    res = quorum_lost("raft-3m1w", ("worker1",), node_ls_ok=True)
    assert res.status is Status.FAIL and "workers take no part in Raft" in res.message


# ----- 02.recovered -----------------------------------------------------------------------
def _after_loss() -> tuple[tuple[str, str, float], ...]:
    later = time.time() + 1
    return (("start", "manager2", later), ("start", "manager3", later))


def test_recovered_passes_after_a_stored_quorum_loss_and_a_restart_of_the_managers():
    res = raft("02.recovered", "raft-3m1w", passed=("02.quorum-lost",), events=_after_loss())
    assert res.passed and "manager2 and manager3 started again" in res.message


def test_recovered_survives_a_kernel_restart_because_the_loss_is_stored_on_disk():
    raft("02.quorum-lost", "raft-3m1w")  # any run: a new Lab object each time, like a restart
    res = raft("02.recovered", "raft-3m1w", passed=("02.quorum-lost",), events=_after_loss())
    assert res.passed


def test_recovered_without_a_quorum_loss_first_fails():
    res = raft("02.recovered", "raft-3m1w", events=_after_loss())
    assert res.status is Status.FAIL and "has not lost its quorum" in res.message
    assert "02.quorum-lost first" in res.hint


def test_recovered_while_a_manager_is_still_off_fails():
    res = raft("02.recovered", "quorum-lost-3m", passed=("02.quorum-lost",),
               stopped=("manager2", "manager3"))
    assert res.status is Status.FAIL and "still powered off" in res.message
    assert "lab.start('manager2')" in res.hint


def test_recovered_without_a_restart_through_the_kit_fails():
    res = raft("02.recovered", "raft-3m1w", passed=("02.quorum-lost",))
    assert res.status is Status.FAIL and "no manager was started again" in res.message


def test_quorum_lost_with_every_manager_off_fails_saying_one_must_stay_up():
    lab = fake_lab(managers=3, workers=1, stopped=("manager1", "manager2", "manager3"))
    res = run_checks(lab, ["02.quorum-lost"], snapshot=snapshot("quorum-lost-3m"), settle_s=0)
    assert isinstance(res, CheckResult) and res.status is Status.FAIL
    assert "All 3 managers are powered off" in res.message and "wait=False" in res.hint


def test_two_managers_after_demoting_manager3_fail_and_the_hint_promotes_it():
    res = raft("02.three-managers", "raft-manager3-demoted",
               history={"manager1": entry("docker node demote manager3")})
    assert res.status is Status.FAIL and "2 managers" in res.message
    assert "manager3 is a worker now" in res.message and "docker node promote manager3" in res.hint
