"""Lab 01's checks on snapshots recorded from real clusters, one per state and mistake."""

from __future__ import annotations

from typing import Any

from swarmlab import records
from swarmlab.checks import CheckResult, Status, run_checks
from tests.fixtures.recorded import by_command, fake_lab, snapshot


def check(check_id: str, snap: str, *, stopped: tuple[str, ...] = (),
          local: dict[str, str] | None = None, managers: int = 1,
          history: dict[str, str] | None = None, passed: tuple[str, ...] = (),
          **params: Any) -> CheckResult:
    """``local``: what each node's own engine says of its swarm state (a live probe);
    ``history``: each node's recorded commands; ``passed``: exercises that PASSed before."""
    nodes = set(local or {}) | set(history or {})
    replies = {n: by_command({"LocalNodeState": (local or {}).get(n, ""),
                              ".swarmlab_history": (history or {}).get(n, "")}) for n in nodes}
    for exercise in passed:
        records.record_verdict("t-fake", "01", exercise, "PASS", "recorded")
    lab = fake_lab(managers=managers, replies=replies, stopped=stopped)
    res = run_checks(lab, [check_id], snapshot=snapshot(snap), **params)
    assert isinstance(res, CheckResult)
    return res


# ----- 01.init ------------------------------------------------------------------------
def test_init_passes_when_manager1_leads():
    res = check("01.init", "initialised-1m")
    assert res.passed and "manager1 is its Leader" in res.message


def test_init_fails_without_a_swarm_and_gives_the_command_with_the_address():
    res = check("01.init", "no-swarm")
    assert res.status is Status.FAIL and "no swarm" in res.message
    assert "docker swarm init --advertise-addr 172.29.1.11" in res.hint


def test_init_on_the_wrong_node_is_named():
    res = check("01.init", "init-on-worker1")
    assert res.status is Status.FAIL and "created on worker1" in res.message
    assert "on worker1: `docker swarm leave --force`" in res.hint


def test_init_fails_when_manager1_is_not_the_leader():
    res = check("01.init", "manager1-demoted-instead")
    assert res.status is Status.FAIL and "worker2 is the Leader" in res.message


def test_init_fails_without_a_leader_and_says_which_nodes_to_start():
    res = check("01.init", "quorum-lost-3m", managers=3, stopped=("manager2", "manager3"))
    assert res.status is Status.FAIL and "no leader" in res.message
    assert "lab.start('manager2')" in res.hint and "lab.start('manager3')" in res.hint


# ----- 01.join ------------------------------------------------------------------------
def test_join_passes_when_both_workers_are_ready():
    assert check("01.join", "joined-1m2w").passed


def test_join_with_the_manager_token_is_named():
    res = check("01.join", "worker2-promoted")  # worker2 a manager, as a manager token makes it
    assert res.status is Status.FAIL and "worker2 joined as a manager" in res.message
    assert "join-token manager" in res.message
    assert "docker node demote worker2" in res.hint and "join-token worker" in res.hint


def test_join_fails_before_any_worker_joined():
    res = check("01.join", "initialised-1m")
    assert res.status is Status.FAIL
    assert "worker1 and worker2 are not in the swarm" in res.message
    assert "docker swarm join-token worker" in res.hint


def test_join_fails_when_a_worker_is_listed_but_down():
    res = check("01.join", "worker2-left")
    assert res.status is Status.FAIL and "worker2 is listed but Down" in res.message
    assert "join" in res.hint


def test_join_says_to_start_a_stopped_worker():
    res = check("01.join", "worker2-left", stopped=("worker2",))
    assert "lab.start('worker2')" in res.hint


# ----- 01.leave-rm --------------------------------------------------------------------
JOINED = "# 2026-11-27T02:40:01Z exit=0\ndocker swarm join --token SWMTKN-1-x 172.29.1.11:2377\n"
JOIN_FAILED = JOINED.replace("exit=0", "exit=1")
PROMOTED = "# 2026-11-27T02:45:01Z exit=0\ndocker node promote worker2\n"


def test_leave_rm_passes_when_worker2_left_and_was_removed():
    res = check("01.leave-rm", "worker2-removed", local={"worker2": "inactive"},
                passed=("01.join",))
    assert res.passed and "worker2 left" in res.message


def test_leave_rm_passes_with_the_join_seen_in_worker2s_history():
    res = check("01.leave-rm", "worker2-removed", local={"worker2": "inactive"},
                history={"worker2": JOINED})
    assert res.passed


def test_leave_rm_right_after_init_when_worker2_never_joined_fails():
    res = check("01.leave-rm", "initialised-1m", local={"worker2": "inactive"})
    assert res.status is Status.FAIL and "never joined it" in res.message
    assert "01.join first" in res.hint


def test_leave_rm_with_a_join_that_failed_fails():
    res = check("01.leave-rm", "initialised-1m", local={"worker2": "inactive"},
                history={"worker2": JOIN_FAILED})
    assert res.status is Status.FAIL and "never joined it" in res.message


def test_leave_rm_fails_when_worker2_left_but_is_still_listed():
    res = check("01.leave-rm", "worker2-left")
    assert res.status is Status.FAIL and "still listed" in res.message
    assert "docker node rm worker2" in res.hint and "on manager1" in res.hint


def test_leave_rm_fails_when_worker2_never_left():
    res = check("01.leave-rm", "joined-1m2w")
    assert res.status is Status.FAIL and "worker2 is still in the swarm" in res.message
    assert "on worker2: `docker swarm leave`" in res.hint


def test_leave_rm_fails_when_removed_with_force_without_leaving():
    res = check("01.leave-rm", "worker2-removed", local={"worker2": "active"},
                passed=("01.join",))
    assert res.status is Status.FAIL and "without leaving" in res.message
    assert "docker swarm leave --force" in res.hint


def test_leave_rm_checks_the_chosen_node():
    res = check("01.leave-rm", "worker2-removed", node="worker1", local={"worker1": "active"})
    assert res.status is Status.FAIL and "worker1 is still in the swarm" in res.message


# ----- 01.promote ---------------------------------------------------------------------
def test_promote_passes_for_a_reachable_worker2_and_warns_of_an_even_count():
    res = check("01.promote", "worker2-promoted")
    assert res.passed and "Reachable manager" in res.message and "2 managers" in res.message


def test_promoting_the_wrong_worker_is_named():
    res = check("01.promote", "worker1-promoted")
    assert res.status is Status.FAIL and res.message == "You promoted worker1, not worker2."
    assert "docker node demote worker1" in res.hint and "docker node promote worker2" in res.hint


def test_promote_fails_while_worker2_is_a_worker():
    res = check("01.promote", "joined-1m2w")
    assert res.status is Status.FAIL and "still a worker" in res.message


def test_promote_fails_when_worker2_is_not_in_the_swarm():
    res = check("01.promote", "worker2-removed")
    assert res.status is Status.FAIL and "not in the swarm" in res.message


# ----- 01.demote ----------------------------------------------------------------------
def test_demote_passes_when_worker2_is_a_worker_again():
    res = check("01.demote", "worker2-demoted", passed=("01.promote",))
    assert res.passed and "managers: manager1" in res.message


def test_demote_passes_with_the_promotion_seen_in_the_history():
    res = check("01.demote", "worker2-demoted", history={"manager1": PROMOTED})
    assert res.passed


def test_demote_right_after_join_with_no_promotion_ever_made_fails():
    res = check("01.demote", "joined-1m2w")
    assert res.status is Status.FAIL and "never promoted" in res.message
    assert "01.promote first" in res.hint


def test_demote_after_a_promotion_that_failed_fails():
    res = check("01.demote", "joined-1m2w",
                history={"manager1": PROMOTED.replace("exit=0", "exit=1")})
    assert res.status is Status.FAIL and "never promoted" in res.message


def test_a_promote_pass_from_before_the_lab_was_prepared_does_not_count():
    records.record_verdict("t-fake", "01", "01.promote", "PASS", "old", at=1.0)
    records.record_event("t-fake", "prepared", at=2.0)
    res = check("01.demote", "joined-1m2w")
    assert res.status is Status.FAIL and "never promoted" in res.message


def test_demote_fails_while_worker2_is_a_manager():
    res = check("01.demote", "worker2-promoted")
    assert res.status is Status.FAIL and "still a manager" in res.message
    assert "docker node demote worker2" in res.hint


def test_demoting_manager1_instead_is_named_and_the_fix_runs_on_worker2():
    res = check("01.demote", "manager1-demoted-instead")
    assert res.status is Status.FAIL and "You demoted manager1, not worker2" in res.message
    assert res.hint.startswith("on worker2: `docker node promote manager1`")


def test_demote_fails_while_another_worker_is_still_a_manager():
    res = check("01.demote", "worker1-promoted")
    assert res.status is Status.FAIL and "worker1 is still a manager" in res.message
    assert "docker node demote worker1" in res.hint
