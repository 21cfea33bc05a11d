"""Run one check on a recorded snapshot with recorded evidence: node histories, the kit's
power events and earlier verdicts (stored in the test's own progress database)."""

from __future__ import annotations

from typing import Any

from swarmlab import records
from swarmlab.checks import CheckResult, run_checks
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
    recorded = snapshot(snap)
    source = recorded.source.node
    fakes[source] = reading_again(recorded, fakes.get(source))
    lab = fake_lab(managers=managers, workers=workers, replies=fakes, stopped=stopped)
    res = run_checks(lab, [check_id], snapshot=recorded, **params)
    assert isinstance(res, CheckResult)
    return res


def replay(check_id: str, name: str, **params: Any) -> CheckResult:
    """``check_id`` on the snapshot ``name``, its probes answered as the real nodes did when
    it was recorded (tests/fixtures/probes/<name>.json)."""
    recorded, replies = snapshot(name), replayed(name)
    source = recorded.source.node
    replies[source] = reading_again(recorded, replies.get(source))
    lab = fake_lab(replies=replies)
    res = run_checks(lab, [check_id], snapshot=recorded, **params)
    assert isinstance(res, CheckResult)
    return res
