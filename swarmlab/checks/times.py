"""When things happened, as checks read it: Engine API timestamps, durations as the CLI
writes them, an update's batches and delays in its tasks' history, a node's engine start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from swarmlab.state import ServiceInfo, Snapshot, TaskInfo
from swarmlab.viz.palette import epoch

if TYPE_CHECKING:
    from swarmlab.checks.base import CheckContext


def parse_time(stamp: str) -> float:
    """An Engine API timestamp (RFC 3339, nanoseconds) as epoch seconds; 0 if unreadable."""
    return epoch(stamp) or 0.0


def created(item: ServiceInfo | TaskInfo) -> float:
    return parse_time(item.created_at)


def node_updated_at(snap: Snapshot, hostname: str) -> float:
    """When the node's object last changed (an availability change updates it)."""
    info = snap.node(hostname)
    for raw in (snap.raw.get("nodes") or {}).get("body") or []:
        if info is not None and raw.get("ID") == info.id:
            return parse_time(str(raw.get("UpdatedAt", "")))
    return 0.0


def running_since(task: TaskInfo) -> float | None:
    """When a running task became Running (None for a task that is not running)."""
    return epoch(task.state_since) if task.running else None


def most_at_once(tasks: tuple[TaskInfo, ...]) -> int:
    """The most tasks that were starting at the same moment (created, not yet Running): an
    update's parallelism, read from the tasks it started."""
    events = []
    for t in tasks:
        ran = running_since(t)
        events += [(created(t), 1), (ran if ran is not None else float("inf"), -1)]
    most = now = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        now += step
        most = max(most, now)
    return most


def first_wave(tasks: tuple[TaskInfo, ...]) -> tuple[TaskInfo, ...]:
    """The tasks an update started before any of its tasks was Running."""
    ran = [r for t in tasks if (r := running_since(t)) is not None]
    first = min(ran, default=float("inf"))
    return tuple(t for t in tasks if created(t) < first)


def wait_before(task: TaskInfo, tasks: tuple[TaskInfo, ...], at_least: float) -> float | None:
    """Seconds from the latest other task becoming Running, at least ``at_least`` before
    ``task`` was created, to that creation; None if no task was Running that early.

    Each worker of an update takes a task, waits until it runs, waits the update delay,
    and takes the next one: the next task's wait is the delay, counted from its own
    predecessor (which may not be the last task to become Running)."""
    start = created(task)
    ran = [r for t in tasks if t.id != task.id and (r := running_since(t)) is not None
           and r <= start - at_least]
    return start - max(ran) if ran else None


def engine_started(ctx: CheckContext, node: str) -> float | None:
    """When ``node``'s Docker engine last started (its pid file's time); None if unknown."""
    res = ctx.probe(node, "stat -c %Y /var/run/docker.pid 2>/dev/null", timeout=15)
    try:
        return float(res.stdout.strip()) if res.ok else None
    except ValueError:
        return None


def duration(text: Any) -> float:
    """``"10s"``, ``"1m30s"``, ``"500ms"`` or a number of seconds -> seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    total, num = 0.0, ""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "ns": 1e-9}
    s = str(text).strip()
    i = 0
    while i < len(s):
        c = s[i]
        if c.isdigit() or c == ".":
            num += c
            i += 1
            continue
        unit = s[i:i + 2] if s[i:i + 2] in units else c
        if unit not in units or not num:
            raise ValueError(f"not a duration: {text!r}")
        total += float(num) * units[unit]
        num, i = "", i + len(unit)
    if num:
        total += float(num)  # a bare number: seconds
    return total


def seconds_text(value: float) -> str:
    """10.0 -> ``10s``, 0.5 -> ``0.5s``."""
    return f"{value:g}s"
