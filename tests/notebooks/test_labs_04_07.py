"""Labs 04-07 run top to bottom on one real cluster, one after the other, as a learner
would go through them: as shipped every check FAILs (with a hint), with the reference
solutions every check PASSes, and no cell raises.

Rolling updates run with a 2 s update delay instead of the article's 10 s: the check
reads it from ``SWARMLAB_LAB_PARAMS`` and the reference solution is given the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import lab_name as make_lab_name
from tests.notebooks.conftest import notebook_cluster
from tests.notebooks.harness import (
    LABS,
    both_ways,
    load_solutions,
)

pytestmark = pytest.mark.notebooks

LAB = make_lab_name("nb04-07")
NOTEBOOKS = ["04-global", "05-recovery", "06-rolling-updates", "07-configs-secrets"]
TAUGHT_DELAY, TEST_DELAY = "--update-delay 10s", "--update-delay 2s"
PARAMS = {"update_delay": "2s"}


@pytest.fixture(scope="module")
def lab_name() -> Iterator[str]:
    """One cluster for the four notebooks: each one's start_lab reshapes what the one
    before left (lab 04 adds a worker, lab 05 stops and starts one)."""
    yield from notebook_cluster(LAB)


def short_delay_solutions(path: Path) -> dict[str, str]:
    """The reference solutions that use the article's update delay, with the test's
    short one instead."""
    taught = {k: v.replace(TAUGHT_DELAY, TEST_DELAY)
              for k, v in load_solutions(path).items() if TAUGHT_DELAY in v}
    if path.stem.startswith("06"):
        assert list(taught) == ["06.configured"], list(taught)
    return taught


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_checks_fail_as_shipped_and_pass_with_solutions(
    notebook: str, lab_name: str, capsys: pytest.CaptureFixture[str],
) -> None:
    path = LABS / f"{notebook}.ipynb"
    with capsys.disabled():
        found = both_ways(path, lab_name, params=PARAMS, solutions=short_delay_solutions(path))
    assert not found, "\n".join(found)


def test_only_lab_06_s_rolling_update_gets_the_short_delay() -> None:  # no cluster
    changed = {nb: short_delay_solutions(LABS / f"{nb}.ipynb") for nb in NOTEBOOKS}
    assert {nb: list(c) for nb, c in changed.items() if c} == {
        "06-rolling-updates": ["06.configured"]}
    source = changed["06-rolling-updates"]["06.configured"]
    assert TEST_DELAY in source and TAUGHT_DELAY not in source
