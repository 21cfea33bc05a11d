"""The notebook harness without a cluster: reading verdicts back from a cell's outputs,
filling exercise cells with (changed) solutions, refusing non-test lab names."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest
from IPython.core.formatters import DisplayFormatter

from swarmlab.checks import CheckResult, Report, Status
from tests.notebooks import harness
from tests.notebooks.harness import (
    LABS,
    CheckOutcome,
    execute_notebook,
    exercise_cells,
    load_solutions,
    read_outcomes,
)

FAIL = CheckResult("03.scale", Status.FAIL, "web runs 2 tasks, not 5 (it's 'web').",
                   'docker service scale web=5 & "wait"', {"tasks": 2}, "Scale web")
PASS = CheckResult("03.create", Status.PASS, "web runs <nginx>.")


def cell_showing(*objects: Any) -> Any:
    """A code cell as nbformat stores it after the kernel displayed ``objects``."""
    outputs = []
    for obj in objects:
        data, _ = DisplayFormatter().format(obj)
        outputs.append(nbformat.v4.new_output("display_data", data=data))
    cell = nbformat.v4.new_code_cell("lab.check(...)", outputs=outputs)
    nb = nbformat.v4.new_notebook(cells=[cell])
    nbformat.validate(nb)
    return nbformat.reads(nbformat.writes(nb), as_version=4).cells[0]  # as saved and read


def test_a_result_and_a_report_are_read_from_their_json_output() -> None:
    found = read_outcomes(cell_showing(FAIL, Report((PASS, FAIL))), 7)
    fail = CheckOutcome("03.scale", "FAIL", FAIL.message, FAIL.hint, 7)
    assert found == [fail, CheckOutcome("03.create", "PASS", PASS.message, "", 7), fail]


def test_without_json_the_html_badge_or_the_printed_text_is_read() -> None:
    cell = cell_showing(FAIL)
    del cell.outputs[0].data["application/vnd.swarmlab.check+json"]
    assert read_outcomes(cell, 1) == [CheckOutcome("03.scale", "FAIL", FAIL.message,
                                                   FAIL.hint, 1)]
    printed = nbformat.v4.new_code_cell("print(r)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=str(FAIL) + "\n")])
    assert read_outcomes(printed, 2) == [CheckOutcome("03.scale", "FAIL", FAIL.message,
                                                      FAIL.hint, 2)]


class _NoKernel:
    """Stands in for nbclient's NotebookClient: keeps the notebook, runs nothing."""

    ran: list[Any] = []

    def __init__(self, nb: Any, **kwargs: Any) -> None:
        self.nb = nb

    def execute(self, **kwargs: Any) -> None:
        _NoKernel.ran.append(self.nb)


def test_solutions_change_only_the_exercises_they_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "NotebookClient", _NoKernel)
    path = LABS / "03-services.ipynb"
    reference = load_solutions(path)
    run = execute_notebook(path, lab="nb03", mode="solutions",
                           solutions={"03.where": "where = ['manager1']"})
    cells = exercise_cells(run.notebook)
    assert run.notebook is _NoKernel.ran[-1]
    assert run.notebook.cells[cells["03.where"]].source == "where = ['manager1']"
    for ex_id in ("03.create", "03.scale"):
        assert run.notebook.cells[cells[ex_id]].source == reference[ex_id].rstrip("\n")


def test_solutions_and_lab_names_are_checked_before_anything_runs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "NotebookClient", _NoKernel)
    path = LABS / "03-services.ipynb"
    with pytest.raises(ValueError, match="no exercise 03.nope"):
        execute_notebook(path, lab="nb03", mode="solutions", solutions={"03.nope": "x"})
    with pytest.raises(ValueError, match="only goes with"):
        execute_notebook(path, lab="nb03", mode="shipped", solutions={"03.where": "x"})
    for bad in ("default", "mylab", "nb_03", "t-" + "x" * 30):
        with pytest.raises(ValueError, match="notebook test labs"):
            execute_notebook(path, lab=bad, mode="shipped")
    execute_notebook(path, lab="t-nb03", mode="shipped")
    assert _NoKernel.ran



def test_the_ways_to_run_are_checked_before_anything_runs() -> None:
    path = LABS / "00-welcome.ipynb"
    for bad in ((), ("solution",), ("shipped", "graded")):
        with pytest.raises(ValueError, match="modes must be some of"):
            harness.both_ways(path, "t-nb00", modes=bad)
