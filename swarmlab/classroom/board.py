"""The instructor's view of a class: students x exercises from the progress database, who
has been failing the same exercise for a while, and each student's last commands on their
nodes (the history ``%%node`` keeps on every node). The board page and
``swarmlab class progress`` both read ``board_data``."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from swarmlab import records
from swarmlab.classroom.config import ClassSettings
from swarmlab.progress_table import NOT_TRIED, exercises

STUCK_AFTER_S = 300.0  # failing the same exercise for this long ...
STUCK_AFTER_TRIES = 3  # ... or this many times in a row: someone should look
LAST_COMMANDS = 5
CSV_FIELDS = ["student", "cluster", "exercise", "status", "when", "tries", "failing_since",
              "stuck", "message"]


@dataclass
class Cell:
    """One student's standing on one exercise."""

    status: str = NOT_TRIED
    at: float | None = None
    tries: int = 0
    failing_since: float | None = None  # the first FAIL of the current run of FAILs
    fails_in_a_row: int = 0
    message: str = ""
    stuck: bool = False


@dataclass
class Command:
    node: str
    at: float
    exit_code: int | None
    command: str


@dataclass
class StudentRow:
    student: str
    cluster: str
    cells: dict[str, Cell] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)

    def stuck_on(self) -> list[str]:
        return [ex for ex, c in self.cells.items() if c.stuck]


def cells_from(verdicts: list[records.Verdict], now: float) -> dict[str, Cell]:
    """Each exercise's cell from one student's verdicts (oldest first)."""
    cells: dict[str, Cell] = {}
    for v in verdicts:
        c = cells.setdefault(v.exercise, Cell())
        c.status, c.at, c.message = v.status, v.at, v.message
        c.tries += 1
        if v.status == "FAIL":
            c.failing_since = c.failing_since if c.fails_in_a_row else v.at
            c.fails_in_a_row += 1
        else:
            c.failing_since, c.fails_in_a_row = None, 0
    for c in cells.values():
        c.stuck = c.status == "FAIL" and c.failing_since is not None and (
            now - c.failing_since >= STUCK_AFTER_S or c.fails_in_a_row >= STUCK_AFTER_TRIES)
    return cells


Histories = Callable[[str], list[Command]]


def board_rows(settings: ClassSettings, now: float | None = None,
               histories: Histories | None = None) -> list[StudentRow]:
    """One row per student, from the class's progress database."""
    now = time.time() if now is None else now
    labs = [settings.lab_of(s) for s in settings.students]
    by_lab: dict[str, list[records.Verdict]] = {lab: [] for lab in labs}
    if settings.progress_db.exists():
        for v in records.verdicts(labs, path=settings.progress_db):
            by_lab[v.lab].append(v)
    rows = []
    for student, lab in zip(settings.students, labs, strict=True):
        row = StudentRow(student, lab, cells_from(by_lab[lab], now))
        if histories is not None:
            row.commands = histories(lab)[-LAST_COMMANDS:]
        rows.append(row)
    return rows


def columns(rows: list[StudentRow]) -> list[str]:
    """The exercises of every lab any student has tried, in the labs' order."""
    tried_labs = {ex.split(".")[0] for r in rows for ex in r.cells}
    return [ex for ex, _ in exercises() if ex.split(".")[0] in tried_labs]


def board_data(settings: ClassSettings, now: float | None = None,
               histories: Histories | None = None) -> dict[str, object]:
    """The board as JSON-able data: the page draws it."""
    rows = board_rows(settings, now, histories)
    return {"class": settings.name, "at": time.time() if now is None else now,
            "exercises": columns(rows),
            "students": [{"student": r.student, "cluster": r.cluster,
                          "cells": {k: asdict(c) for k, c in r.cells.items()},
                          "stuck": r.stuck_on(),
                          "commands": [asdict(c) for c in r.commands]} for r in rows]}


def _when(at: float | None) -> str:
    return "" if at is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def to_csv(rows: list[StudentRow]) -> str:
    """One line per student and exercise of every lab (not tried ones too)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for r in rows:
        for ex, _ in exercises():
            c = r.cells.get(ex, Cell())
            w.writerow([r.student, r.cluster, ex, c.status, _when(c.at), c.tries,
                        _when(c.failing_since), "yes" if c.stuck else "", c.message])
    return buf.getvalue()


def to_text(rows: list[StudentRow]) -> str:
    """A terminal table: students x the exercises tried, then who is stuck where."""
    cols = columns(rows)
    if not cols:
        return "\n".join([*(r.student for r in rows), "(no check run yet)"])
    short = {"PASS": "PASS", "FAIL": "FAIL", "SKIP": "skip", NOT_TRIED: "-"}
    width = max([len(r.student) for r in rows] + [7])
    lines = [" " * width + "  " + "  ".join(f"{c:<10}" for c in cols)]
    for r in rows:
        marks = [short.get(r.cells[c].status if c in r.cells else NOT_TRIED, "?") for c in cols]
        lines.append(f"{r.student:<{width}}  " + "  ".join(f"{m:<10}" for m in marks))
    for r in rows:
        for ex in r.stuck_on():
            c = r.cells[ex]
            mins = (time.time() - (c.failing_since or time.time())) / 60
            lines.append(f"stuck: {r.student} has failed {ex} {c.fails_in_a_row} time(s) in a "
                         f"row, for {mins:.0f} min: {c.message}")
    return "\n".join(lines)


def node_histories(lab: str) -> list[Command]:
    """Every command the student's nodes recorded, oldest first (none if no cluster)."""
    from swarmlab import history
    from swarmlab.errors import SwarmLabError
    from swarmlab.lab import Lab

    try:
        cluster = Lab.connect(lab)
    except SwarmLabError:
        return []
    out: list[Command] = []
    for node in cluster.nodes:
        try:
            res = node.run(f"cat {history.HISTORY_FILE} 2>/dev/null; true", timeout=10)
        except SwarmLabError:
            continue
        for e in history.parse(res.stdout, node.name):
            out.append(Command(e.node, e.at, e.exit_code, e.source))
    return sorted(out, key=lambda c: c.at)


def load_rows(folder: Path, histories: Mapping[str, list[Command]] | None = None
              ) -> list[StudentRow]:
    settings = ClassSettings.load(folder)
    return board_rows(settings, histories=(lambda lab: list((histories or {}).get(lab, []))))
