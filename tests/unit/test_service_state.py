"""The questions the checks of labs 04-07 ask of task lists, on made-up task histories."""

from __future__ import annotations

import time

import pytest

from swarmlab.checks.service_state import (
    duration,
    first_wave,
    most_at_once,
    moved_away,
    per_node,
    wait_before,
)
from swarmlab.state import ApiView, Snapshot, TaskInfo

T0 = 1_800_000_000.0


def stamp(offset: float) -> str:
    whole = int(T0 + offset)
    frac = f"{(T0 + offset) - whole:.6f}"[2:]
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{frac}Z"


def task(tid: str, slot: int, created: float, running: float | None, node: str = "worker1",
         image: str = "swarmlab/web:v2", desired: str = "running") -> TaskInfo:
    return TaskInfo(
        id=tid, service_id="s1", service="web", slot=slot, node_id=node, node=node,
        desired_state=desired, state="running" if running is not None else "shutdown",
        message="", error="", created_at=stamp(created), updated_at=stamp(created),
        state_since=stamp(running if running is not None else created + 1), image=image,
        container_id="c" + tid, exit_code=None, addresses=(),
    )


@pytest.mark.parametrize("text,seconds", [
    ("10s", 10.0), ("2s", 2.0), ("1m30s", 90.0), ("500ms", 0.5), ("0s", 0.0), (3, 3.0),
    ("1h", 3600.0), ("7", 7.0),
])
def test_duration_reads_docker_durations(text: object, seconds: float) -> None:
    assert duration(text) == pytest.approx(seconds)


def test_duration_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        duration("ten seconds")


# Two workers, each: take a task, wait until it runs (~5 s), wait the delay, take the next.
def update(parallelism: int, delay: float, phase: float = 0.0) -> tuple[TaskInfo, ...]:
    out, clocks = [], [i * phase for i in range(parallelism)]
    for slot in range(1, 5):
        w = (slot - 1) % parallelism
        start = clocks[w]
        out.append(task(f"t{slot}", slot, start, start + 5.0))
        clocks[w] = start + 5.0 + delay
    return tuple(out)


def test_parallelism_is_the_most_tasks_starting_at_once() -> None:
    assert most_at_once(update(2, 10)) == 2
    assert most_at_once(update(1, 10)) == 1
    assert most_at_once(update(4, 0)) == 4
    assert most_at_once(update(2, 2, phase=1.5)) == 2  # workers out of step


def test_the_delay_is_counted_from_each_tasks_own_predecessor() -> None:
    tasks = update(2, 2, phase=1.5)  # worker 2 runs 1.5 s after worker 1
    later = [t for t in tasks if t not in first_wave(tasks)]
    assert [t.slot for t in later] == [3, 4]
    waits = [wait_before(t, tasks, 2 - 0.5) for t in later]
    assert all(w is not None and w == pytest.approx(2.0, abs=0.01) for w in waits)


def test_no_delay_leaves_no_task_running_early_enough() -> None:
    tasks = update(2, 0)
    later = [t for t in tasks if t not in first_wave(tasks)]
    assert [wait_before(t, tasks, 2 - 0.5) for t in later] == [None, None]
    assert wait_before(later[0], tasks, 0.0) == pytest.approx(0.0, abs=0.01)


def snapshot(tasks: tuple[TaskInfo, ...], specs: dict[str, dict[str, object]]) -> Snapshot:
    raw = {"tasks": {"status": 200, "body": [{"ID": t.id, "Spec": specs[t.id]} for t in tasks]}}
    return Snapshot(taken_at=T0 + 100, source=ApiView("manager1", "active"), swarm_active=True,
                    tasks=tasks, raw=raw)


def test_a_slot_rescheduled_off_a_node_is_told_from_an_update() -> None:
    same = {"ContainerSpec": {"Image": "swarmlab/tools"}, "ForceUpdate": 0}
    forced = {"ContainerSpec": {"Image": "swarmlab/tools"}, "ForceUpdate": 1}
    tasks = (
        task("a1", 1, 0, None, node="worker1", desired="shutdown"),
        task("a2", 1, 20, 22, node="manager1"),  # moved: same spec, another node
        task("b1", 2, 0, None, node="worker1", desired="shutdown"),
        task("b2", 2, 30, 32, node="worker2"),  # replaced by a forced update
        task("c1", 3, 0, 2, node="worker2"),
    )
    specs = {"a1": same, "a2": same, "b1": same, "b2": forced, "c1": same}
    snap = snapshot(tasks, specs)
    assert moved_away(snap, "web", "worker1") == [1]
    assert moved_away(snap, "web", "worker2") == []
    assert per_node(tuple(t for t in tasks if t.running)) == {"manager1": 1, "worker2": 2}
