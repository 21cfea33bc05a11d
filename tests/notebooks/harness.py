"""Execute a lab notebook on a real cluster and read what its checks said.

Every lab's notebook test uses this module::

    run = execute_notebook(LABS / "02-raft.ipynb", lab="nb02", mode="solutions")
    assert run.check_outcomes ...

A notebook runs in the venv's ``python3`` kernel with its own folder as its working
directory, as JupyterLab starts it (``labs/``; ``labs/ko/`` for the Korean edition, whose
checks then speak Korean), and ``SWARMLAB_LAB`` naming the test's cluster, so ``start_lab("NN")`` in its first cell
builds or reshapes that cluster. ``mode="solutions"`` replaces every exercise cell (tagged
``exercise`` and ``id:NN.slug``) by its reference solution from
``labs/solutions/NN-slug.yml`` (``solutions={id: source}`` changes some of them);
``mode="shipped"`` runs the notebook as a learner gets it. Test labs are named ``nb...`` or
``t-...`` (``TEST_PREFIXES``) so a test never reshapes a learner's lab.

A check cell is a code cell tagged ``check``; what it displayed (a ``CheckResult`` or a
``Report``) is read back from the cell's outputs into ``CheckOutcome``s: from their JSON
output (``swarmlab.checks.base.MIME_TYPE``), else from the HTML badges or printed text.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

from swarmlab.checks.base import MIME_TYPE
from swarmlab.spec import NAME_RE
from tests.conftest import PREFIX

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "labs"
SOLUTIONS = LABS / "solutions"
MODES = ("shipped", "solutions")
TEST_PREFIXES = ("nb", "t-")
_ID_TAG = re.compile(r"^id:(\d\d\.[a-z0-9-]+)$")
_STR = re.compile(r"^\[(?P<status>PASS|FAIL|SKIP)\] (?P<id>\d\d\.[\w-]+): (?P<message>.*)$")
_HTML = re.compile(
    r">(?P<status>PASS|FAIL|SKIP)</span> <code>(?P<id>[^<]+)</code>(?:\s*<span[^>]*>[^<]*</span>)?"
    r" (?P<message>[^<]*)(?:<div[^>]*>Hint: (?P<hint>[^<]*)</div>)?"
)


class NotebookFailed(AssertionError):
    """A cell raised, or the notebook could not be run at all."""


@dataclass(frozen=True)
class CheckOutcome:
    """One check's verdict as a check cell displayed it."""

    id: str
    status: str  # PASS / FAIL / SKIP
    message: str
    hint: str
    cell: int  # index of the check cell in the notebook

    def __str__(self) -> str:
        return f"[{self.status}] {self.id}: {self.message}" + (
            f" (Hint: {self.hint})" if self.hint else "")


@dataclass
class NotebookRun:
    """What one execution of a notebook produced."""

    path: Path
    mode: str
    lab: str
    seconds: float
    notebook: Any  # the executed nbformat.NotebookNode, outputs included
    checks: list[CheckOutcome] = field(default_factory=list)
    check_cells: dict[int, list[str]] = field(default_factory=dict)  # cell -> ids it checks

    def outcome(self, check_id: str) -> CheckOutcome:
        found = [c for c in self.checks if c.id == check_id]
        if not found:
            raise KeyError(f"{self.path.name} ({self.mode}) showed no result for {check_id}")
        return found[-1]

    def cell_text(self, index: int) -> str:
        return outputs_text(self.notebook.cells[index])

    def exercise_output(self, check_id: str) -> str:
        """What the exercise cell of ``check_id`` printed, as a line to add to a failure
        (a solution's command that failed says why its check did not pass)."""
        i = exercise_cells(self.notebook).get(check_id)
        text = self.cell_text(i).strip() if i is not None else ""
        return f"\n    its exercise cell {i} printed: {text[-800:]!r}" if text else ""

    def describe(self) -> str:
        return f"{self.path.name} [{self.mode}] on {self.lab}: {self.seconds:.0f}s"

    def cell_seconds(self) -> list[tuple[float, int, str]]:
        """(seconds, index, first line) per executed code cell, slowest first."""
        out = []
        for i, c in enumerate(self.notebook.cells):
            ex = c.get("metadata", {}).get("execution", {})
            start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
            if c.cell_type == "code" and start and end:
                secs = (_when(end) - _when(start)).total_seconds()
                out.append((secs, i, c.source.splitlines()[0] if c.source else ""))
        return sorted(out, reverse=True)


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# ----- notebooks and solutions ------------------------------------------------------------
def solutions_path(notebook: Path) -> Path:
    return SOLUTIONS / f"{notebook.stem}.yml"


def load_solutions(notebook: Path) -> dict[str, str]:
    """``labs/solutions/NN-slug.yml``: exercise id -> the exercise cell's full source."""
    data = yaml.safe_load(solutions_path(notebook).read_text()) or {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise NotebookFailed(f"{solutions_path(notebook)} must map exercise ids to cell sources")
    return {str(k): v for k, v in data.items()}


def cell_ids(cell: Any) -> list[str]:
    """The ``id:NN.slug`` tags of a cell."""
    tags = cell.get("metadata", {}).get("tags", [])
    return [m.group(1) for t in tags if (m := _ID_TAG.match(t))]


def tagged(nb: Any, tag: str) -> dict[int, Any]:
    return {i: c for i, c in enumerate(nb.cells)
            if tag in c.get("metadata", {}).get("tags", [])}


def exercise_cells(nb: Any) -> dict[str, int]:
    """Exercise id -> index of its exercise cell."""
    out: dict[str, int] = {}
    for i, c in tagged(nb, "exercise").items():
        ids = cell_ids(c)
        if len(ids) != 1:
            raise NotebookFailed(f"exercise cell {i} needs exactly one id:NN.slug tag, has {ids}")
        if ids[0] in out:
            raise NotebookFailed(f"two exercise cells for {ids[0]} (cells {out[ids[0]]}, {i})")
        out[ids[0]] = i
    return out


def with_solutions(nb: Any, solutions: Mapping[str, str]) -> Any:
    """A copy of ``nb`` whose exercise cells hold the reference solutions."""
    filled = copy.deepcopy(nb)
    cells = exercise_cells(filled)
    if set(cells) != set(solutions):
        raise NotebookFailed(
            f"exercise cells {sorted(cells)} and solutions {sorted(solutions)} do not match")
    for ex_id, i in cells.items():
        filled.cells[i].source = solutions[ex_id].rstrip("\n")
    return filled


# ----- running ----------------------------------------------------------------------------
def kernel_env(lab: str, params: Mapping[str, Any] | None) -> dict[str, str]:
    env = dict(os.environ)
    env["SWARMLAB_LAB"] = lab
    env["SWARMLAB_LAB_PARAMS"] = json.dumps(dict(params or {}))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def execute_notebook(
    path: Path,
    *,
    lab: str,
    mode: str,
    params: Mapping[str, Any] | None = None,
    solutions: Mapping[str, str] | None = None,
    cell_timeout: float = 300,
) -> NotebookRun:
    """Run the notebook top to bottom; ``NotebookFailed`` if a cell raises.

    ``solutions`` (``mode="solutions"`` only) maps exercise ids to the cell sources to run
    instead of the reference ones; the other exercises keep theirs."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if not (NAME_RE.match(lab) and lab.startswith(tuple(PREFIX + p for p in TEST_PREFIXES))):
        raise ValueError(f"notebook test labs are named {' or '.join(TEST_PREFIXES)}... "
                         f"(a valid lab name): they must not touch other labs, not {lab!r}")
    if solutions and mode != "solutions":
        raise ValueError('solutions=... only goes with mode="solutions"')
    nb = nbformat.read(str(path), as_version=4)
    if mode == "solutions":
        reference = load_solutions(path)
        unknown = sorted(set(solutions or {}) - set(reference))
        if unknown:
            raise ValueError(f"{path.name} has no exercise {', '.join(unknown)}; "
                             f"it has {', '.join(sorted(reference))}")
        nb = with_solutions(nb, {**reference, **(solutions or {})})
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="swarmlab-kernel-") as sockets:
        # The kernel's channels are unix sockets in a folder of this run (IPC), not TCP
        # ports on localhost: nothing to eavesdrop on, and no warning saying so per kernel.
        client = NotebookClient(
            nb, kernel_name="python3", timeout=int(cell_timeout), allow_errors=False,
            resources={"metadata": {"path": str(path.parent)}},
            config=Config({"KernelManager": {"transport": "ipc",
                                             "ip": str(Path(sockets) / "kernel")}}),
        )
        try:
            client.execute(env=kernel_env(lab, params), cwd=str(path.parent))
        except CellExecutionError as e:
            raise NotebookFailed(f"{path.name} [{mode}]: a cell raised:\n{e}") from None
    run = NotebookRun(path, mode, lab, time.monotonic() - t0, nb)
    for i, cell in tagged(nb, "check").items():
        run.check_cells[i] = cell_ids(cell)
        run.checks += read_outcomes(cell, i)
    return run


# ----- reading outputs --------------------------------------------------------------------
def outputs_text(cell: Any) -> str:
    """Everything a code cell showed, as text (streams, results, errors)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data", {})
            parts.append(str(data.get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "".join(parts)


def read_outcomes(cell: Any, index: int) -> list[CheckOutcome]:
    """The check verdicts a cell displayed: from their JSON output, else from the HTML
    badges, else from the ``__str__`` form (``print(result)``)."""
    found: list[CheckOutcome] = []
    for out in cell.get("outputs", []):
        data = out.get("data") or {}
        plain = str(data.get("text/plain", ""))
        stream = out.get("text", "") if out.get("output_type") == "stream" else ""
        found += (_from_json(data.get(MIME_TYPE), index)
                  or _from_html(str(data.get("text/html", "")), index)
                  or _from_str(plain or stream, index))
    return found


def _from_json(value: Any, index: int) -> list[CheckOutcome]:
    """A result's JSON (a dict with ``id`` and ``status``) or a report's (``results``)."""
    if isinstance(value, str):  # nbformat keeps JSON outputs as objects; be lenient
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if not isinstance(value, dict):
        return []
    items = value.get("results", [value])
    if not isinstance(items, list):
        return []
    return [CheckOutcome(str(r["id"]), str(r["status"]), str(r.get("message", "")),
                         str(r.get("hint", "")), index)
            for r in items if isinstance(r, dict) and "id" in r and "status" in r]


def _from_html(text: str, index: int) -> list[CheckOutcome]:
    return [CheckOutcome(m["id"], m["status"], html.unescape(m["message"].strip()),
                         html.unescape(m["hint"] or ""), index) for m in _HTML.finditer(text)]


def _from_str(text: str, index: int) -> list[CheckOutcome]:
    found = []
    lines = text.splitlines()
    for j, line in enumerate(lines):
        m = _STR.match(line.strip())
        if m:
            hint = lines[j + 1].strip() if j + 1 < len(lines) else ""
            found.append(CheckOutcome(m["id"], m["status"], m["message"],
                                      hint[6:] if hint.startswith("Hint: ") else "", index))
    return found


# ----- verdicts ---------------------------------------------------------------------------
def problems(run: NotebookRun, expected_ids: Iterable[str]) -> list[str]:
    """What is wrong with a run: a check cell that showed no verdict, an exercise whose
    check never ran, a PASS as shipped, a FAIL (or a SKIP without a reason) with solutions."""
    out = []
    for i, ids in run.check_cells.items():
        shown = {c.id for c in run.checks if c.cell == i}
        missing = [x for x in ids if x not in shown]
        if missing or not shown:
            out.append(f"check cell {i} ({ids}) showed no verdict: {run.cell_text(i)[:300]!r}")
    seen = {c.id for c in run.checks}
    out += [f"{x}: its check never ran" for x in expected_ids if x not in seen]
    for c in run.checks:
        if run.mode == "shipped" and c.status != "FAIL":
            out.append(f"as shipped, {c.id} should FAIL: {c}")
        if run.mode == "shipped" and c.status == "FAIL" and not c.hint:
            out.append(f"as shipped, {c.id} FAILs without a hint: {c}")
        if run.mode == "solutions" and c.status == "FAIL":
            out.append(f"with solutions, {c.id} should PASS: {c}{run.exercise_output(c.id)}")
        if run.mode == "solutions" and c.status == "SKIP" and not c.message.strip():
            out.append(f"with solutions, {c.id} SKIPs without a reason: {c}")
    return out


def both_ways(path: Path, lab: str, *, params: Mapping[str, Any] | None = None,
              solutions: Mapping[str, str] | None = None, times: dict[str, float] | None = None,
              also: Callable[[NotebookRun], list[str]] | None = None,
              modes: Sequence[str] = MODES, cell_timeout: float = 300) -> list[str]:
    """Run a lab notebook as shipped, then with its solutions (``solutions`` replace some),
    on ``lab``; print each run's verdicts and slowest cells; return every problem found
    (``problems``, and what ``also`` finds in a run). ``times`` gets each run's seconds.

    The Vagrant tier runs lab 03 with ``modes=("solutions",)``: that its checks FAIL as
    shipped does not depend on the provider."""
    if not modes or set(modes) - set(MODES):
        raise ValueError(f"modes must be some of {MODES}, not {modes!r}")
    expected = sorted(exercise_cells(nbformat.read(str(path), as_version=4)))
    found = []
    for mode in modes:  # shipped first: lab 00 reads the nodes' history
        t = time.monotonic()
        run = execute_notebook(path, lab=lab, mode=mode, params=params, cell_timeout=cell_timeout,
                               solutions=solutions if mode == "solutions" else None)
        if times is not None:
            times[f"{path.stem} {mode}"] = time.monotonic() - t
        print(f"\n[notebook] {run.describe()}")
        for c in run.checks:
            print(f"  {c}")
        slow = ", ".join(f"cell {i} {s:.0f}s ({line[:30]})" for s, i, line in run.cell_seconds()[:4])
        print(f"  slowest: {slow}")
        found += [f"{mode}: {p}" for p in problems(run, expected)]
        found += [f"{mode}: {p}" for p in (also(run) if also else [])]
    return found


def capability_problems(c: CheckOutcome, present: bool, reason: str, fix: str,
                        reason_in_hint: bool = False) -> list[str]:
    """A check that needs a kernel feature PASSes where it is ``present``; elsewhere it
    SKIPs naming ``reason`` (in its message, or its hint too) and ``fix`` (in its hint)."""
    want = "PASS" if present else "SKIP"
    if c.status != want:
        return [f"{c.id} should {want} here: {c}"]
    said = c.message + (c.hint if reason_in_hint else "")
    if want == "SKIP" and (reason not in said or fix not in c.hint):
        return [f"{c.id} SKIPs without the reason and the fix: {c}"]
    return []


# ----- shape (no cluster needed) ----------------------------------------------------------
_PLACEHOLDER = re.compile(r"^[A-Za-z_]\w* = (\[\]|\{\}|None|\"\")$")


def shipped_exercise_problem(source: str) -> str:
    """What a shipped exercise cell holds beyond what LABS.md allows: a ``%%node`` line,
    comments saying what to do, and at most an empty answer (``where = []``)."""
    for line in source.splitlines():
        s = line.strip()
        if s and not (s.startswith("#") or s.startswith("%%node") or _PLACEHOLDER.match(s)):
            return f"line {s!r} gives the answer away"
    return ""


def shape_problems(path: Path) -> list[str]:
    """Where a lab notebook departs from LABS.md's shape: outputs left in, no start_lab
    first, an exercise without its check and collapsed solution, solutions out of step."""
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    key = path.name[:2]
    out: list[str] = []
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i, c in code:
        if c.get("outputs") or c.get("execution_count") is not None:
            out.append(f"cell {i} keeps outputs or an execution count (strip them)")
    first_md = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    for needed in (f"# Lab {key}", "What you will learn", "Time:"):
        if needed not in first_md:
            out.append(f"the first markdown cell lacks {needed!r}")
    if not code or f'swarmlab.start_lab("{key}")' not in code[0][1].source:
        out.append(f'the first code cell must call swarmlab.start_lab("{key}")')
    if not any(c.source.strip() == "%load_ext swarmlab" for _, c in code[:3]):
        out.append("one of the first code cells must be `%load_ext swarmlab`")
    exercises = exercise_cells(nb)
    checks = {x: i for i, c in tagged(nb, "check").items() for x in cell_ids(c)}
    starts = sorted(exercises.values())
    for ex_id, i in exercises.items():
        why = shipped_exercise_problem(nb.cells[i].source)
        if why:
            out.append(f"{ex_id}: the shipped exercise cell: {why}")
        nxt = next((s for s in starts if s > i), len(nb.cells))
        j = checks.get(ex_id)
        if j is None or not i < j < nxt:
            out.append(f"{ex_id}: no check cell between its exercise and the next one")
            continue
        if f'lab.check("{ex_id}"' not in nb.cells[j].source:
            out.append(f"{ex_id}: its check cell does not call lab.check({ex_id!r})")
        after = nb.cells[j + 1] if j + 1 < len(nb.cells) else None
        if after is None or after.cell_type != "markdown" or "<details>" not in after.source \
                or "Show a solution" not in after.source:
            out.append(f"{ex_id}: no collapsed 'Show a solution' cell right after its check")
    solutions = load_solutions(path) if solutions_path(path).exists() else {}
    if set(solutions) != set(exercises):
        out.append(f"solutions {sorted(solutions)} != exercises {sorted(exercises)}")
    return out


def main(argv: list[str]) -> int:
    """``python -m tests.notebooks.harness NN-slug LAB``: the notebook both ways on the
    existing (or new) cluster ``LAB``, as a learner runs it after ``swarmlab up``; exit 1
    with the problems found. The hostvm tier runs it inside its guest."""
    if len(argv) != 2:
        print("usage: python -m tests.notebooks.harness NN-slug LAB", file=sys.stderr)
        return 2
    found = both_ways(LABS / f"{argv[0]}.ipynb", argv[1])
    print("\n".join(found) if found else f"{argv[0]}: both ways as expected")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
