"""What the learner ran on a node, kept on that node: the commands ``%%node``, ``%node`` and
``swarmlab exec`` ran, each with its exit code, written once the command has finished.

The file holds one entry per command::

    # 2026-11-27T02:40:01Z exit=0
    docker version

The stamp is the UTC time the command ended. Entries from older kits have no ``exit=`` (and
local time): they are read with an unknown exit code. Checks read the file through
``parse``, so a learner's mistake (a command that failed) is told from a success.
"""

from __future__ import annotations

import calendar
import re
import shlex
import time
from collections.abc import Iterable
from dataclasses import dataclass

from swarmlab.node import Node

HISTORY_FILE = "/root/.swarmlab_history"
STAMP = re.compile(
    r"^# (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(Z?)(?: exit=(-?\d+))?$", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """One recorded command: the node, when it ended, its exit code (None: unknown)."""

    node: str
    at: float
    exit_code: int | None
    source: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def commands(self) -> list[str]:
        """The source's lines that are commands (no blank or comment lines, no magics)."""
        return [ln.strip() for ln in self.source.splitlines()
                if ln.strip() and not ln.strip().startswith(("#", "%"))]


def entry_text(source: str, exit_code: int, at: float | None = None) -> str:
    """One history entry as it is written to the file."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if at is None else at))
    return f"# {stamp} exit={exit_code}\n{source.rstrip()}\n"


def record(node: Node, source: str, exit_code: int) -> None:
    """Append one entry (the stamp with the exit code, then the command) to the node's
    history file. Called after the command ran."""
    entry = entry_text(source, exit_code)
    node.run(f"printf '%s' {shlex.quote(entry)} >> {HISTORY_FILE}", timeout=10)


def _when(stamp: str, utc: bool) -> float:
    parsed = time.strptime(stamp, "%Y-%m-%dT%H:%M:%S")
    return float(calendar.timegm(parsed) if utc else time.mktime(parsed))


def parse(text: str, node: str = "") -> list[Entry]:
    """The entries of a history file, oldest first."""
    marks = list(STAMP.finditer(text))
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        source = text[m.end():end].strip()
        if source:
            code = int(m.group(3)) if m.group(3) is not None else None
            out.append(Entry(node, _when(m.group(1), bool(m.group(2))), code, source))
    return out


def succeeded(entries: Iterable[Entry], pattern: str, since: float = 0.0) -> list[Entry]:
    """Entries at or after ``since`` that exited 0 and have a command line matching the
    regular expression ``pattern`` (searched in each command line)."""
    rx = re.compile(pattern)
    return [e for e in entries if e.ok and e.at >= since - 1
            and any(rx.search(c) for c in e.commands())]
