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
