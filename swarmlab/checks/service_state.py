"""Questions the service checks of labs 04-07 ask: which tasks are live, are they still
moving, in which batches were they made, when did a node's engine last start.

Helpers only: no check is registered here (``_load_all`` imports ``labNN`` modules).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo
from swarmlab.viz.palette import epoch

STARTING = ("new", "pending", "assigned", "accepted", "preparing", "ready", "starting")
FAILED = ("failed", "rejected")


def live_tasks(snap: Snapshot, service: str) -> tuple[TaskInfo, ...]:
    """Running tasks the swarm still wants (not those left on a node that went Down)."""
    return tuple(t for t in snap.tasks_of(service) if t.desired_state == "running")


def per_node(tasks: tuple[TaskInfo, ...]) -> dict[str, int]:
    """Tasks per node, in node-name order."""
    return dict(sorted(Counter(t.node for t in tasks).items()))


def spread(counts: dict[str, int]) -> str:
    """``manager1 (2), worker2 (3)``."""
    return ", ".join(f"{n} ({c})" for n, c in counts.items()) or "no node"


def in_motion(snap: Snapshot, service: str) -> bool:
    """The service's tasks are still starting or stopping, or an update is under way."""
    svc = snap.service(service)
    if svc is None:
        return False
    if svc.update_status is not None and svc.update_status.state in (
            "updating", "rollback_started"):
        return True
    tasks = snap.tasks_of(service, running=False)
    wanted = [t for t in tasks if t.desired_state == "running"]
    if wanted and all(t.state in FAILED for t in wanted):
        return False  # every try fails: waiting will not help
    starting = any(t.state in STARTING for t in wanted)
    stopping = any(t.desired_state != "running" and t.state == "running" and t.node in
                   {n.hostname for n in snap.nodes if n.ready} for t in tasks)
    short = svc.replicas is not None and len(live_tasks(snap, service)) < svc.replicas
    return starting or stopping or short


def settled(ctx: CheckContext, seconds: float,
            moving: Callable[[Snapshot], bool]) -> Snapshot:
    """The cluster once ``moving(snapshot)`` is false, or after ``seconds``."""
    if not moving(ctx.snapshot):
        return ctx.snapshot
    found = wait.settle(ctx.refresh, timeout=float(seconds), ok=lambda s: not moving(s))
    return found or ctx.snapshot


def missing_service(ctx: CheckContext, snap: Snapshot, name: str, how: str,
                    known: tuple[str, ...] = ()) -> CheckResult:
    """The FAIL for a service that does not exist. Another service (not one of the
    notebook's own, ``known``) may be the learner's attempt under a wrong name."""
    services = [s.name for s in snap.services]
    others = [s for s in services if s not in known]
    if others:
        return ctx.fail(
            f"There is no service named {name}; the swarm has {', '.join(services)}.",
            f"the name must be exactly {name}: {how}", services=services,
        )
    return ctx.fail(f"There is no service named {name} yet.", how, services=services)


def failing_reason(snap: Snapshot, service: str) -> str:
    """Why the latest failed task of ``service`` failed ("" if none did)."""
    failed = [t for t in snap.tasks_of(service, running=False) if t.state in FAILED]
    if not failed:
        return ""
    last = max(failed, key=lambda t: t.updated_at)
    return (last.error or last.message or last.state).strip()


def task_spec(snap: Snapshot, task_id: str) -> str:
    """A task's spec (image, force-update counter, ...) as comparable text."""
    for t in (snap.raw.get("tasks") or {}).get("body") or []:
        if isinstance(t, dict) and t.get("ID") == task_id:
            return json.dumps(t.get("Spec") or {}, sort_keys=True)
    return ""


def moved_away(snap: Snapshot, service: str, node: str) -> list[int]:
    """Slots whose task on ``node`` was replaced by the same task on another node: the
    swarm rescheduled it (a node failure or drain), it was not an update."""
    by_slot: dict[int, list[TaskInfo]] = {}
    for t in snap.tasks_of(service, running=False):
        if t.slot is not None:
            by_slot.setdefault(t.slot, []).append(t)
    moved = []
    for slot, tasks in sorted(by_slot.items()):
        tasks.sort(key=lambda t: t.created_at)
        for old, new in zip(tasks, tasks[1:], strict=False):
            if old.node == node and new.node != node and \
                    task_spec(snap, old.id) == task_spec(snap, new.id):
                moved.append(slot)
                break
    return moved


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


def created(item: ServiceInfo | TaskInfo) -> float:
    return epoch(item.created_at) or 0.0


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
