"""The join token is read again until it looks like one: an empty answer (seen from a
loaded VM's SSH: exit 0, no output) must not become `docker swarm join --token ''`."""

from __future__ import annotations

import pytest

from swarmlab import swarm
from swarmlab.errors import SwarmError
from swarmlab.transport.base import CommandResult

TOKEN = "SWMTKN-1-abc-def"


class Manager:
    name = "manager1"

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.asked = 0

    def run(self, cmd: str, timeout: float = 0) -> CommandResult:
        out = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return CommandResult(cmd, 0, out, "", self.name)


def test_an_empty_answer_is_read_again() -> None:
    m = Manager(["", "\n", TOKEN + "\n"])
    assert swarm.join_token(m, "worker", timeout=30) == TOKEN  # type: ignore[arg-type]
    assert m.asked == 3


def test_no_token_at_all_is_a_clear_error_without_a_token_in_it() -> None:
    m = Manager([""])
    with pytest.raises(SwarmError, match="gave no worker join token") as err:
        swarm.join_token(m, "worker", timeout=0.1)  # type: ignore[arg-type]
    assert "swarmlab up" in str(err.value)


class Joiner:
    """A worker whose state reads and joins answer from scripts (the last answer repeats)."""

    name, address = "worker1", "192.168.77.101"

    def __init__(self, states: list[str], joins: list[str]) -> None:
        self.states, self.joins, self.ran = states, joins, []

    def run(self, cmd: str, timeout: float = 0) -> CommandResult:
        self.ran.append(cmd.split(" --")[0])
        if "LocalNodeState" in cmd:
            state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
            return CommandResult(cmd, 1 if state == "unreachable" else 0,
                                 "" if state == "unreachable" else state, "", self.name)
        if cmd.startswith("docker swarm join"):
            err = self.joins.pop(0) if len(self.joins) > 1 else self.joins[0]
            return CommandResult(cmd, 1 if err else 0, "", err, self.name)
        return CommandResult(cmd, 0, "", "", self.name)


LEADER = Manager([])
LEADER.address = "192.168.77.11"  # type: ignore[attr-defined]
ALREADY = ("Error response from daemon: This node is already part of a swarm. Use "
           '"docker swarm leave" to leave this swarm and join another one.')


@pytest.mark.parametrize("first", ["unreachable", "inactive"])
def test_a_node_found_in_the_swarm_after_all_counts_as_joined(first: str) -> None:
    """The state read before the join missed that the node is in (a loaded VM's `docker
    info` timed out), or a join retried after a transient error had gone on in the
    background: "already part of a swarm" with the node active is a join, not a failure
    (a vm-tier run failed here, worker1 active all along)."""
    w = Joiner([first, "active"], [ALREADY])
    swarm.join(w, TOKEN, LEADER, attempts=2)  # type: ignore[arg-type]
    assert w.ran.count("docker swarm leave") == 0


def test_already_in_a_swarm_that_never_turns_active_is_still_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    wait_briefly = swarm._joined_later
    monkeypatch.setattr(swarm, "_joined_later", lambda n: wait_briefly(n, timeout=0.2))
    w = Joiner(["inactive", "pending"], [ALREADY])
    with pytest.raises(SwarmError, match="already part of a swarm") as err:
        swarm.join(w, TOKEN, LEADER, attempts=1)  # type: ignore[arg-type]
    assert TOKEN not in str(err.value)
