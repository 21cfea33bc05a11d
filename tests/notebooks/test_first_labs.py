"""Labs 00-03 run top to bottom on a real cluster: as shipped every check FAILs (with a
hint), with the reference solutions every check PASSes."""

from __future__ import annotations

import pytest

from tests.notebooks.harness import LABS, both_ways

pytestmark = pytest.mark.notebooks

NOTEBOOKS = ["00-welcome", "01-cluster", "02-raft", "03-services"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_checks_fail_as_shipped_and_pass_with_solutions(notebook: str, nb_lab: str) -> None:
    found = both_ways(LABS / f"{notebook}.ipynb", nb_lab)
    assert not found, "\n".join(found)
