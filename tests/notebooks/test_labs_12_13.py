"""Labs 12 and 13 run top to bottom on one real cluster, one after the other: as shipped
every check FAILs (with a hint), with the reference solutions every check PASSes, and no
cell raises. Each run prints the notebook's wall time.

Lab 12 restarts the nodes' engines so that they pull (``swarmlab.lab_registry``); lab 13
reuses that cluster as it is.
"""

from __future__ import annotations

from collections.abc import Iterator

import nbformat
import pytest

from tests.conftest import lab_name as make_lab_name
from tests.notebooks.conftest import notebook_cluster
from tests.notebooks.harness import LABS, both_ways, exercise_cells

pytestmark = pytest.mark.notebooks

LAB = make_lab_name("nb12-13")
NOTEBOOKS = ["12-registry", "13-health-updates"]
PARAMS = {"settle_s": 20}


@pytest.fixture(scope="module")
def lab_name() -> Iterator[str]:
    """One cluster for both notebooks."""
    yield from notebook_cluster(LAB)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_checks_fail_as_shipped_and_pass_with_solutions(
    notebook: str, lab_name: str, capsys: pytest.CaptureFixture[str],
) -> None:
    with capsys.disabled():
        found = both_ways(LABS / f"{notebook}.ipynb", lab_name, params=PARAMS)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_has_the_lab_shape_and_an_exercise_per_check(notebook: str) -> None:  # no cluster
    from swarmlab.checks import list_checks
    from tests.notebooks.harness import shape_problems

    path = LABS / f"{notebook}.ipynb"
    assert shape_problems(path) == []
    registered = {s.id for s in list_checks(notebook[:2])}
    assert registered and registered == set(exercise_cells(nbformat.read(str(path), as_version=4)))


def test_lab_13_s_client_keeps_the_tally_its_checks_read() -> None:  # no cluster
    from swarmlab.checks.lab13 import CLIENT_LOOP

    source = "\n".join(c.source for c in nbformat.read(
        str(LABS / "13-health-updates.ipynb"), as_version=4).cells)
    for part in ('echo "since=$since ok=$ok fail=$fail" > /tmp/counts.new',
                 "if [ -e /tmp/reset ]", "timeout 5 wget -q -O /dev/null http://web/"):
        assert part in source and part in CLIENT_LOOP
