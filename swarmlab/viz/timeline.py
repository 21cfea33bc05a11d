"""A service's task history over time, from the tasks' own timestamps.

One row per slot (global services: one per node), one bar per task, coloured by image
(or by state). Tasks the orchestrator created together form a *wave*: the first
deployment, each batch of a rolling update, the replacements after a node failure. (Swarm
runs ``--update-parallelism N`` as N workers that each replace a task, then wait the update
delay on their own, so under load one batch can show as two waves a moment apart.) The
waves are marked, with the time since the previous one, so ``--update-parallelism`` and
``--update-delay`` show as groups and gaps. Swarm keeps only the last few tasks of a
slot (``docker swarm update --task-history-limit``, 5 by default): older ones are gone.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

from swarmlab.errors import SpecError
from swarmlab.state import Snapshot, TaskInfo
from swarmlab.viz.palette import epoch, tag
from swarmlab.viz.timeline_svg import draw

HISTORY_LIMIT = 5
WAVE_GAP_S = 0.5  # tasks the orchestrator creates together are milliseconds apart
_ENDED = {"complete", "shutdown", "failed", "rejected", "remove", "orphaned"}


@dataclass(frozen=True)
class Bar:
    """One task's life in its row."""

    row: str  # "web.3", or "agent@worker1" for a global service
    task_id: str
    node: str
    image: str
    state: str
    desired_state: str
    created: float
    running_since: float | None  # known only while it runs (the API keeps the last state)
    end: float | None  # None: still running (or starting)
    lost: bool = False  # its node is gone: the managers gave up on it at ``end``
    note: str = ""

    @property
    def tag(self) -> str:
        return tag(self.image)


@dataclass(frozen=True)
class Wave:
    """Tasks created together: a deployment, an update batch, replacements."""

    at: float
    task_ids: tuple[str, ...]
    images: tuple[str, ...]  # one per task

    @property
    def label(self) -> str:
        tags = [tag(i) for i in self.images]
        return " + ".join(f"{tags.count(t)}\u00d7{t}" for t in dict.fromkeys(tags))


@dataclass(frozen=True)
class Timeline:
    """The picture (``svg``; Jupyter shows it) and what it was drawn from."""

    service: str
    bars: tuple[Bar, ...]
    waves: tuple[Wave, ...]
    start: float
    end: float
    svg: str = field(repr=False)

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the SVG to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)

    @property
    def rows(self) -> list[str]:
        return list(dict.fromkeys(b.row for b in self.bars))

    def __str__(self) -> str:
        lines = [f"{self.service}: {_clock(self.start)} -> {_clock(self.end)} "
                 f"({self.end - self.start:.0f}s), {len(self.rows)} rows, {len(self.bars)} tasks"]
        prev = None
        for w in self.waves:
            gap = f"+{w.at - prev:.1f}s" if prev is not None else _clock(w.at)
            lines.append(f"  wave {gap:>9}  {w.label}")
            prev = w.at
        for row in self.rows:
            parts = [f"{b.node or '?'} {b.tag} {_clock(b.created)}-"
                     + ("" if b.end is None else _clock(b.end)) + f" {_state_word(b)}"
                     for b in self.bars if b.row == row]
            lines.append(f"  {row:<14} " + " | ".join(parts))
        return "\n".join(lines)


def task_history(snapshot: Snapshot, service: str) -> list[Bar]:
    """Every task the snapshot still holds for ``service``, as bars in row order."""
    info = snapshot.service(service)
    tasks = snapshot.tasks_of(service, running=False)
    if info is None and not tasks:
        known = ", ".join(sorted(s.name for s in snapshot.services)) or "none"
        raise SpecError(f"No service {service!r} in the swarm (services: {known}).")
    by_row: dict[str, list[TaskInfo]] = {}
    for t in tasks:
        row = f"{t.service}.{t.slot}" if t.slot is not None else f"{t.service}@{t.node or '?'}"
        by_row.setdefault(row, []).append(t)
    down = {n.id for n in snapshot.nodes if not n.ready}
    bars: list[Bar] = []
    for row in sorted(by_row, key=_row_order):
        ordered = sorted(by_row[row], key=lambda t: (epoch(t.created_at) or 0.0, t.id))
        nxt = [epoch(t.created_at) for t in ordered[1:]] + [None]
        bars += [_bar(row, t, after, t.node_id in down)
                 for t, after in zip(ordered, nxt, strict=True)]
    return bars


def _bar(row: str, t: TaskInfo, next_created: float | None, node_down: bool) -> Bar:
    created = epoch(t.created_at) or 0.0
    since = epoch(t.state_since)
    ended = t.state in _ENDED
    # A task "running" on a node that went down: the managers set it to shutdown
    # (updated_at) and made a replacement; it never reported again.
    lost = node_down and t.desired_state not in ("running", "ready") and not ended
    end = since if ended else (epoch(t.updated_at) or next_created) if lost else None
    return Bar(
        row=row, task_id=t.id, node=t.node, image=t.image, state=t.state,
        desired_state=t.desired_state, created=created,
        running_since=since if t.running else None, end=end, lost=lost,
        note=(t.error or t.message),
    )


def _row_order(row: str) -> tuple[str, int, str]:
    m = re.match(r"^(.*)\.(\d+)$", row)
    return (m.group(1), int(m.group(2)), "") if m else (row, 0, row)


def waves(bars: list[Bar], gap_s: float = WAVE_GAP_S) -> list[Wave]:
    """Group tasks created within ``gap_s`` of each other, in time order."""
    found: list[list[Bar]] = []
    for b in sorted(bars, key=lambda b: b.created):
        if found and b.created - found[-1][-1].created <= gap_s:
            found[-1].append(b)
        else:
            found.append([b])
    return [Wave(g[0].created, tuple(b.task_id for b in g), tuple(b.image for b in g))
            for g in found]


def timeline(
    snapshot: Snapshot,
    service: str,
    *,
    colour_by: str = "image",
    width: int = 900,
    title: str | None = None,
) -> Timeline:
    """The task history of ``service`` as a ``Timeline`` (SVG in Jupyter, text in print).

    ``colour_by``: ``"image"`` (rolling updates) or ``"state"`` (failures)."""
    if colour_by not in ("image", "state"):
        raise SpecError(f"colour_by is 'image' or 'state', not {colour_by!r}.")
    bars = task_history(snapshot, service)
    found = waves(bars)
    start = min((b.created for b in bars), default=snapshot.taken_at)
    end = max([snapshot.taken_at, start + 1.0] + [b.end for b in bars if b.end is not None])
    full = [r for r in dict.fromkeys(b.row for b in bars)
            if sum(b.row == r for b in bars) >= HISTORY_LIMIT]
    svg = draw(
        bars, found, start, end, colour_by=colour_by, width=width,
        title=title or f"{service}: task history, one row per "
        + ("node" if any("@" in b.row for b in bars) else "slot"),
        footnote=(f"{len(full)} row(s) hold {HISTORY_LIMIT} tasks: swarm keeps only the last "
                  f"{HISTORY_LIMIT} per slot (task-history-limit), older ones are gone."
                  if full else ""),
    )
    return Timeline(service, tuple(bars), tuple(found), start, end, svg)


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def _state_word(b: Bar) -> str:
    return "lost (node down)" if b.lost else b.state
