"""Run one check on a recorded snapshot with recorded evidence: node histories, the kit's
power events and earlier verdicts (stored in the test's own progress database)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from swarmlab import records
from swarmlab.checks import CheckResult, run_checks
from swarmlab.state import Snapshot, parse
from tests.fixtures.recorded import (
    Reply,
    by_command,
    fake_lab,
    reading_again,
    replayed,
    snapshot,
)

LAB = "t-fake"  # fake_lab's name


def entry(command: str, exit_code: int = 0, at: str = "2026-12-02T14:40:00") -> str:
    """One history-file entry, as %%node writes it after the command ran."""
    return f"# {at}Z exit={exit_code}\n{command}\n"


def judge(check_id: str, snap: str, *, managers: int = 1, workers: int = 2,
          stopped: tuple[str, ...] = (), history: dict[str, str] | None = None,
          passed: tuple[str, ...] = (), events: tuple[tuple[str, str, float], ...] = (),
          replies: dict[str, dict[str, str]] | None = None, **params: Any) -> CheckResult:
    """``events``: (kind, node, at) power events; ``replies``: per node, command part ->
    stdout of other live probes."""
    nodes = set(history or {}) | set(replies or {})
    fakes: dict[str, Reply] = {
        n: by_command({".swarmlab_history": (history or {}).get(n, ""),
                       **(replies or {}).get(n, {})}) for n in nodes}
    for exercise in passed:
        records.record_verdict(LAB, check_id[:2], exercise, "PASS", "recorded earlier")
    for kind, node, at in events:
        records.record_event(LAB, kind, node, at=at)
    return on_snapshot(check_id, snapshot(snap), fakes, managers=managers, workers=workers,
                       stopped=stopped, **params)


def replay(check_id: str, name: str, **params: Any) -> CheckResult:
    """``check_id`` on the snapshot ``name``, its probes answered as the real nodes did when
    it was recorded (tests/fixtures/probes/<name>.json)."""
    return on_snapshot(check_id, snapshot(name), replayed(name), **params)


def on_snapshot(check_id: str, snap: Snapshot, replies: dict[str, Reply], *,
                managers: int = 1, workers: int = 2, stopped: tuple[str, ...] = (),
                read_again: Snapshot | None = None, **params: Any) -> CheckResult:
    """``check_id`` on ``snap`` with the nodes answering ``replies``; a check that reads the
    cluster again gets ``read_again`` (default: ``snap``, nothing changed) unless a
    recorded re-read answers."""
    replies = dict(replies)
    source = snap.source.node
    replies[source] = reading_again(read_again or snap, replies.get(source))
    lab = fake_lab(managers=managers, workers=workers, replies=replies, stopped=stopped)
    res = run_checks(lab, [check_id], snapshot=snap, **params)
    assert isinstance(res, CheckResult)
    return res


def edited(name: str, change: Callable[[dict[str, Any]], None]) -> Snapshot:
    """The recorded snapshot ``name`` with ``change`` applied to a copy of its raw API
    answers (a moment of the same cluster that was not recorded)."""
    recorded = snapshot(name)
    raw = json.loads(json.dumps(recorded.raw))
    change(raw)
    return parse(raw, recorded.source.node)
