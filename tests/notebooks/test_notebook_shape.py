"""Labs 00-03 have LABS.md's shape (no cluster needed): outputs stripped, start_lab first,
each exercise followed by its check and a collapsed solution, solutions in step, and every
registered check of the lab has its exercise."""

from __future__ import annotations

import nbformat
import pytest

from swarmlab.checks import list_checks
from tests.notebooks.harness import LABS, exercise_cells, shape_problems

NOTEBOOKS = ["00-welcome", "01-cluster", "02-raft", "03-services"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_has_the_lab_shape(notebook: str) -> None:
    assert shape_problems(LABS / f"{notebook}.ipynb") == []


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_check_of_the_lab_has_an_exercise(notebook: str) -> None:
    nb = nbformat.read(str(LABS / f"{notebook}.ipynb"), as_version=4)
    registered = {s.id for s in list_checks(notebook[:2])}
    assert registered and registered == set(exercise_cells(nb))
