"""What the kit remembers of a learner's work, on disk: check verdicts and lab events.

One SQLite database per user (``$SWARMLAB_PROGRESS_DB``, else ``progress.sqlite`` in the
kit's cache folder), in WAL mode so several kernels, terminals and a classroom board can
write and read it at once. Two tables::

    verdicts(id, at, lab, lab_id, exercise, status, message, hint)
    events(id, at, lab, kind, node)      kind: prepared (start_lab), stop, start

``at`` is seconds since the epoch. A lab's *session* starts at its latest ``prepared``
event: checks that need evidence of earlier steps look only at records since then.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from swarmlab.paths import cache_root

DB_ENV = "SWARMLAB_PROGRESS_DB"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL, lab TEXT NOT NULL, lab_id TEXT NOT NULL, exercise TEXT NOT NULL,
    status TEXT NOT NULL, message TEXT NOT NULL, hint TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS verdicts_by_exercise ON verdicts (lab, exercise, at);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL, lab TEXT NOT NULL, kind TEXT NOT NULL, node TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_lab ON events (lab, at);
"""


@dataclass(frozen=True)
class Verdict:
    """One recorded check result."""

    at: float
    lab: str
    lab_id: str
    exercise: str
    status: str  # PASS / FAIL / SKIP
    message: str
    hint: str


@dataclass(frozen=True)
class Event:
    """Something the kit did to a lab: ``prepared`` (start_lab), ``stop`` or ``start`` a node."""

    at: float
    lab: str
    kind: str
    node: str


def db_path() -> Path:
    """``$SWARMLAB_PROGRESS_DB``, else ``<cache>/progress.sqlite``."""
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV])
    return cache_root() / "progress.sqlite"


@contextmanager
def _db(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    target = path or db_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(str(target), timeout=10)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.executescript(_SCHEMA)
        with conn:  # one transaction, committed on success
            yield conn


# ----- writing ----------------------------------------------------------------------------
def record_verdict(lab: str, lab_id: str, exercise: str, status: str, message: str,
                   hint: str = "", at: float | None = None, path: Path | None = None) -> None:
    """Store one check verdict."""
    with _db(path) as db:
        db.execute("INSERT INTO verdicts (at, lab, lab_id, exercise, status, message, hint) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (time.time() if at is None else at, lab, lab_id, exercise, status,
                    message, hint))


def record_event(lab: str, kind: str, node: str = "", at: float | None = None,
                 path: Path | None = None) -> None:
    """Store one lab event (``prepared``, ``stop``, ``start``)."""
    with _db(path) as db:
        db.execute("INSERT INTO events (at, lab, kind, node) VALUES (?, ?, ?, ?)",
                   (time.time() if at is None else at, lab, kind, node))


# ----- reading ----------------------------------------------------------------------------
def session_start(lab: str, path: Path | None = None) -> float:
    """When ``lab`` was last prepared by ``start_lab`` (0.0 if never)."""
    with _db(path) as db:
        row = db.execute("SELECT MAX(at) FROM events WHERE lab = ? AND kind = 'prepared'",
                         (lab,)).fetchone()
    return float(row[0] or 0.0)


def events(lab: str, since: float = 0.0, path: Path | None = None) -> list[Event]:
    """``lab``'s events at or after ``since``, oldest first."""
    with _db(path) as db:
        rows = db.execute("SELECT at, lab, kind, node FROM events WHERE lab = ? AND at >= ? "
                          "ORDER BY at, id", (lab, since)).fetchall()
    return [Event(*r) for r in rows]


def history(lab: str, exercise: str, since: float = 0.0,
            path: Path | None = None) -> list[Verdict]:
    """Every verdict of one exercise on ``lab`` at or after ``since``, oldest first."""
    with _db(path) as db:
        rows = db.execute(
            "SELECT at, lab, lab_id, exercise, status, message, hint FROM verdicts "
            "WHERE lab = ? AND exercise = ? AND at >= ? ORDER BY at, id",
            (lab, exercise, since)).fetchall()
    return [Verdict(*r) for r in rows]


def latest(lab: str | None = None, path: Path | None = None) -> dict[tuple[str, str], Verdict]:
    """The newest verdict per (lab, exercise), of one lab or of all."""
    query = ("SELECT at, lab, lab_id, exercise, status, message, hint FROM verdicts v "
             "WHERE id = (SELECT id FROM verdicts w WHERE w.lab = v.lab AND "
             "w.exercise = v.exercise ORDER BY at DESC, id DESC LIMIT 1)")
    args: tuple[str, ...] = ()
    if lab is not None:
        query += " AND lab = ?"
        args = (lab,)
    with _db(path) as db:
        rows = db.execute(query + " ORDER BY lab, exercise", args).fetchall()
    return {(r[1], r[3]): Verdict(*r) for r in rows}


def passed_since(lab: str, exercise: str, since: float,
                 path: Path | None = None) -> Verdict | None:
    """The latest PASS of ``exercise`` on ``lab`` at or after ``since``, if any."""
    passes = [v for v in history(lab, exercise, since, path) if v.status == "PASS"]
    return passes[-1] if passes else None


def verdicts(labs: list[str] | None = None, since: float = 0.0,
             path: Path | None = None) -> list[Verdict]:
    """Every verdict (of the ``labs`` named, or of all) at or after ``since``, oldest first:
    what progress tables and the classroom board are made of."""
    query = ("SELECT at, lab, lab_id, exercise, status, message, hint FROM verdicts "
             "WHERE at >= ?")
    args: list[object] = [since]
    if labs is not None:
        query += f" AND lab IN ({', '.join('?' for _ in labs)})"
        args += labs
    with _db(path) as db:
        rows = db.execute(query + " ORDER BY at, id", args).fetchall()
    return [Verdict(*r) for r in rows]
