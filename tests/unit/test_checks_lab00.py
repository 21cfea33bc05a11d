"""00.hello on snapshots recorded from real clusters; history files through a fake transport."""

from __future__ import annotations

from swarmlab.checks import CheckResult, Status, run_checks
from swarmlab.checks.lab00 import history_entries
from tests.fixtures.recorded import by_command, fake_lab, snapshot

DOCKER_VERSION = "# 2026-11-27T02:40:01Z exit=0\ndocker version\n"
LS = "# 2026-11-27T02:39:00Z exit=0\nls /\n"
ECHO_DOCKER = "# 2026-11-27T02:41:00Z exit=0\necho docker\n"
TYPO = "# 2026-11-27T02:42:00Z exit=127\ndokcer version || docker verison\n"
FAILED = "# 2026-11-27T02:42:00Z exit=1\ndocker verison\n"
OLD_FORMAT = "# 2026-11-27T02:40:01\ndocker version\n"  # before exit codes were kept


def hello(snap: str, histories: dict[str, str], stopped: tuple[str, ...] = ()) -> CheckResult:
    replies = {n: by_command({".swarmlab_history": h}) for n, h in histories.items()}
    lab = fake_lab(replies=replies, stopped=stopped)
    res = run_checks(lab, ["00.hello"], snapshot=snapshot(snap))
    assert isinstance(res, CheckResult)
    return res


def test_history_file_is_split_into_cell_sources_in_the_old_and_new_format():
    text = LS + "# 2026-11-27T02:41:00\n# a comment in the cell\ndocker info\ndocker ps\n"
    assert history_entries(text) == ["ls /", "# a comment in the cell\ndocker info\ndocker ps"]
    assert history_entries("") == []


def test_history_entries_keep_the_exit_code_and_the_utc_time():
    from swarmlab.history import entry_text, parse

    written = entry_text("docker version", 3, at=1_800_000_000)
    assert written == "# 2027-01-15T08:00:00Z exit=3\ndocker version\n"
    (entry,) = parse(written, "worker1")
    assert (entry.node, entry.at, entry.exit_code, entry.ok) == ("worker1", 1_800_000_000, 3,
                                                                 False)
    assert parse(OLD_FORMAT)[0].exit_code is None


def test_echo_docker_is_not_a_docker_command():
    res = hello("healthy-1m2w", {"manager1": ECHO_DOCKER})
    assert res.status is Status.FAIL and "no `docker` command yet" in res.message
    assert "the command is `echo`" in res.message and "docker version" in res.hint


def test_a_docker_command_that_failed_does_not_count():
    res = hello("healthy-1m2w", {"manager1": FAILED})
    assert res.status is Status.FAIL and "but it failed (exit code 1)" in res.message
    assert "fix the command" in res.hint


def test_a_failed_docker_command_after_a_successful_one_still_passes():
    res = hello("healthy-1m2w", {"manager1": DOCKER_VERSION + FAILED})
    assert res.passed and "`docker version` on manager1" in res.message


def test_an_entry_of_an_old_kit_without_exit_code_does_not_count():
    res = hello("healthy-1m2w", {"manager1": OLD_FORMAT})
    assert res.status is Status.FAIL and "unknown exit code" in res.message


def test_passes_after_a_docker_command_on_a_healthy_cluster():
    res = hello("healthy-1m2w", {"manager1": DOCKER_VERSION})
    assert res.status is Status.PASS
    assert "`docker version` on manager1" in res.message and "3 nodes Ready" in res.message


def test_fails_when_nothing_was_run_and_says_how():
    res = hello("healthy-1m2w", {})
    assert res.status is Status.FAIL and "No command" in res.message
    assert "%%node manager1" in res.hint and "swarmlab exec" in res.hint


def test_a_cell_holding_only_the_shipped_comment_ran_no_command():
    comment = "# 2026-11-27T02:39:00Z exit=0\n# Type the command under the first line.\n"
    res = hello("healthy-1m2w", {"manager1": comment})
    assert res.status is Status.FAIL and res.message == "No command has been run on a node yet."


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
