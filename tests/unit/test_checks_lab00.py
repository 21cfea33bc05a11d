"""00.hello on snapshots recorded from real clusters; history files through a fake transport."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status, run_checks
from swarmlab.checks.lab00 import history_entries
from tests.fixtures.recorded import by_command, fake_lab, snapshot

DOCKER_VERSION = "# 2026-11-27T02:40:01\ndocker version\n"
LS = "# 2026-11-27T02:39:00\nls /\n"


def hello(snap: str, histories: dict[str, str], stopped: tuple[str, ...] = ()) -> CheckResult:
    replies = {n: by_command({".swarmlab_history": h}) for n, h in histories.items()}
    lab = fake_lab(replies=replies, stopped=stopped)
    res = run_checks(lab, ["00.hello"], snapshot=snapshot(snap))
    assert isinstance(res, CheckResult)
    return res


def test_history_file_is_split_into_cell_sources():
    text = LS + "# 2026-11-27T02:41:00\n# a comment in the cell\ndocker info\ndocker ps\n"
    assert history_entries(text) == ["ls /", "# a comment in the cell\ndocker info\ndocker ps"]
    assert history_entries("") == []


def test_passes_after_a_docker_command_on_a_healthy_cluster():
    res = hello("healthy-1m2w", {"manager1": DOCKER_VERSION})
    assert res.status is Status.PASS
    assert "`docker version` on manager1" in res.message and "3 nodes Ready" in res.message


def test_fails_when_nothing_was_run_and_says_how():
    res = hello("healthy-1m2w", {})
    assert res.status is Status.FAIL and "No command" in res.message
    assert "%%node manager1" in res.hint and "swarmlab exec" in res.hint


def test_fails_when_only_non_docker_commands_ran():
    res = hello("healthy-1m2w", {"worker1": LS})
    assert res.status is Status.FAIL and "`ls /` on worker1" in res.message
    assert "docker version" in res.hint


def test_fails_when_a_node_is_powered_off():
    res = hello("healthy-1m2w", {"manager1": DOCKER_VERSION}, stopped=("worker2",))
    assert res.status is Status.FAIL and "worker2 is powered off" in res.message
    assert "lab.start('worker2')" in res.hint


def test_fails_when_a_node_is_down_in_the_swarm():
    res = hello("worker2-left", {"manager1": DOCKER_VERSION})
    assert res.status is Status.FAIL and "worker2 is Down" in res.message


def test_fails_without_a_swarm():
    res = hello("no-swarm", {"manager1": DOCKER_VERSION})
    assert res.status is Status.FAIL and "no swarm" in res.message
    assert "swarmlab up" in res.hint
