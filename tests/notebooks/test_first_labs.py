"""Labs 00-03 run top to bottom on a real cluster: as shipped every check FAILs (with a
hint), with the reference solutions every check PASSes."""

from __future__ import annotations

import pytest

from tests.notebooks.harness import LABS, execute_notebook, exercise_cells, problems

pytestmark = pytest.mark.notebooks

NOTEBOOKS = ["00-welcome", "01-cluster", "02-raft", "03-services"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_checks_fail_as_shipped_and_pass_with_solutions(notebook: str, nb_lab: str) -> None:
    path = LABS / f"{notebook}.ipynb"
    import nbformat

    expected = sorted(exercise_cells(nbformat.read(str(path), as_version=4)))
    found = []
    for mode in ("shipped", "solutions"):  # shipped first: lab 00 reads the nodes' history
        run = execute_notebook(path, lab=nb_lab, mode=mode)
        print(f"\n[notebook] {run.describe()}")
        for c in run.checks:
            print(f"  {c}")
        slow = ", ".join(f"cell {i} {s:.0f}s ({line[:30]})" for s, i, line in run.cell_seconds()[:4])
        print(f"  slowest: {slow}")
        found += [f"{mode}: {p}" for p in problems(run, expected)]
    assert not found, "\n".join(found)
