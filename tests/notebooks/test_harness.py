"""The notebook harness reads check verdicts back from a cell's outputs (no cluster)."""

from __future__ import annotations

from typing import Any

import nbformat
from IPython.core.formatters import DisplayFormatter

from swarmlab.checks import CheckResult, Report, Status
from tests.notebooks.harness import CheckOutcome, read_outcomes

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
