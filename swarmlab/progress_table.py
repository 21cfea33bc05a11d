"""A learner's progress: every exercise of every lab, PASS / FAIL / not tried, and when.

Read from the verdicts ``swarmlab.records`` keeps (every check, from a notebook, the
``swarmlab check`` command or a widget). ``swarmlab progress`` prints it, ``lab.progress()``
shows it in a notebook (an HTML table, and the same text as the terminal)."""

from __future__ import annotations

import csv
import html
import io
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from swarmlab import records

NOT_TRIED = "not tried"
COLOURS = {"PASS": "#2e7d32", "FAIL": "#c62828", "SKIP": "#9e9e9e", NOT_TRIED: "#bdbdbd"}
CSV_FIELDS = ["lab", "exercise", "title", "status", "when", "tries", "message", "hint"]


@dataclass(frozen=True)
class Row:
    """One exercise: its newest verdict (``status`` is ``not tried`` without one)."""

    exercise: str
    title: str
    status: str
    at: float | None
    tries: int
    message: str
    hint: str

    @property
    def when(self) -> str:
        return "" if self.at is None else time.strftime("%Y-%m-%d %H:%M:%S",
                                                        time.localtime(self.at))


def exercises() -> list[tuple[str, str]]:
    """Every exercise of every lab, in the labs' order: (id, title)."""
    from swarmlab.checks import list_checks

    return [(s.id, s.title) for s in list_checks()]


def rows_from(verdicts: Iterable[records.Verdict]) -> list[Row]:
    """One row per known exercise from ``verdicts`` of one lab (oldest first)."""
    newest: dict[str, records.Verdict] = {}
    tries: dict[str, int] = {}
    for v in verdicts:
        newest[v.exercise] = v
        tries[v.exercise] = tries.get(v.exercise, 0) + 1
    out = []
    for ex, title in exercises():
        got = newest.get(ex)
        out.append(Row(ex, title, got.status, got.at, tries[ex], got.message, got.hint) if got
                   else Row(ex, title, NOT_TRIED, None, 0, "", ""))
    return out


@dataclass(frozen=True)
class Progress:
    """A learner's table; renders itself as HTML in a notebook and as text in a terminal."""

    lab: str
    rows: tuple[Row, ...]

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in COLOURS}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def summary(self) -> str:
        c = self.counts()
        return (f"lab {self.lab!r}: {c['PASS']}/{len(self.rows)} passed, {c['FAIL']} failing, "
                f"{c[NOT_TRIED]} not tried")

    def __str__(self) -> str:
        width = max((len(r.exercise) for r in self.rows), default=8)
        lines = [f"{'exercise':<{width}}  {'status':<9}  {'when':<19}  tries  title"]
        lines += [f"{r.exercise:<{width}}  {r.status:<9}  {r.when or '-':<19}  {r.tries:>5}  "
                  f"{r.title}" for r in self.rows]
        return "\n".join([*lines, self.summary()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = []
        for r in self.rows:
            badge = (f"<span style='background:{COLOURS.get(r.status, '#bdbdbd')};color:white;"
                     f"padding:1px 6px;border-radius:3px'>{html.escape(r.status)}</span>")
            tip = html.escape(r.message + (f" Hint: {r.hint}" if r.hint else ""))
            cells.append(f"<tr title='{tip}'><td><code>{html.escape(r.exercise)}</code></td>"
                         f"<td>{badge}</td><td>{r.when}</td><td>{r.tries}</td>"
                         f"<td>{html.escape(r.title)}</td></tr>")
        return ("<div style='font-family:sans-serif'><table class='swarmlab-progress'>"
                "<tr><th>exercise</th><th>status</th><th>when</th><th>tries</th><th>title</th>"
                f"</tr>{''.join(cells)}</table><b>{html.escape(self.summary())}</b></div>")

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(CSV_FIELDS)
        for r in self.rows:
            w.writerow([self.lab, r.exercise, r.title, r.status, r.when, r.tries,
                        r.message, r.hint])
        return buf.getvalue()


def progress(lab: str, path: Path | None = None) -> Progress:
    """The progress table of the lab (cluster) called ``lab``."""
    return Progress(lab, tuple(rows_from(records.verdicts([lab], path=path))))
