"""The one wait primitive: until() raises WaitTimeout with what/last/hint; settle() never raises."""

from __future__ import annotations

import itertools

import pytest

from swarmlab import wait
from swarmlab.errors import SwarmError, WaitTimeout


def test_until_returns_the_first_accepted_observation() -> None:
    counter = itertools.count()
    assert wait.until(lambda: next(counter), what="3", timeout=5, interval=0.01,
                      ok=lambda n: n >= 3) == 3


def test_until_times_out_with_what_last_and_hint() -> None:
    with pytest.raises(WaitTimeout) as e:
        wait.until(lambda: "2 of 3 Ready", what="every node Ready", timeout=0.05,
                   interval=0.01, ok=lambda s: s.startswith("3"), hint="Look at docker logs.")
    assert e.value.what == "every node Ready" and e.value.last == "2 of 3 Ready"
    assert "Hint: Look at docker logs." in str(e.value)


def test_ignored_errors_are_not_yet_and_become_the_last_seen() -> None:
    def probe() -> str:
        raise SwarmError("The swarm does not have a leader\nmore")

    with pytest.raises(WaitTimeout) as e:
        wait.until(probe, what="a leader", timeout=0.05, interval=0.01, ignore=(SwarmError,))
    assert e.value.last == "The swarm does not have a leader"
    with pytest.raises(ValueError):  # not ignored: raised at once
        wait.until(lambda: int("x"), what="a number", timeout=5, interval=0.01)


def test_settle_returns_the_last_observation_without_raising() -> None:
    counter = itertools.count()
    assert wait.settle(lambda: next(counter), timeout=0.05, interval=0.01,
                       ok=lambda n: n > 10**6) >= 1
    assert wait.settle(lambda: 1 / 0, timeout=0.02, interval=0.01,
                       ignore=(ZeroDivisionError,)) is None
