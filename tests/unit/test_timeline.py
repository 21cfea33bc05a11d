"""The task timeline, drawn from snapshots recorded during a real rolling update and a
real node failure (4 replicas, --update-parallelism 2, --update-delay 2s, v1 -> v2)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from swarmlab.errors import SpecError
from swarmlab.state import Snapshot
from swarmlab.viz import timeline
from swarmlab.viz.timeline import HISTORY_LIMIT, task_history, waves

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "snapshots"


def load(name: str) -> Snapshot:
    return Snapshot.from_json((FIXTURES / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def rolled() -> Snapshot:
    return load("viz-rolling-update")


def test_one_row_per_slot_each_going_from_v1_to_v2(rolled: Snapshot) -> None:
    tl = timeline(rolled, "roll")
    assert tl.rows == ["roll.1", "roll.2", "roll.3", "roll.4"]
    for row in tl.rows:
        bars = [b for b in tl.bars if b.row == row]
        assert [b.tag for b in bars] == ["v1", "v2"]
        assert [b.state for b in bars] == ["shutdown", "running"]
        assert bars[0].end is not None and bars[1].end is None


def test_a_rolling_update_shows_batches_of_two_spaced_by_the_delay(rolled: Snapshot) -> None:
    found = timeline(rolled, "roll").waves
    assert [w.label for w in found] == ["4\u00d7v1", "2\u00d7v2", "2\u00d7v2"]
    first, second = found[1], found[2]
    assert second.at - first.at >= 2.0  # --update-delay 2s, plus the batch's own start
    bars = {b.task_id: b for b in task_history(rolled, "roll")}
    first_batch_running = max(bars[t].running_since or 0 for t in first.task_ids)
    # The next batch waits for this one to run, then the delay (the "running" time is the
    # worker's own report, a little after the moment the manager acted on: 1.9s here).
    assert second.at - first_batch_running >= 1.5


def test_a_node_failure_shows_the_task_moving_to_another_node() -> None:
    snap = load("viz-node-failure")
    tl = timeline(snap, "roll")
    moved = [b for b in tl.bars if b.row == "roll.1"]
    assert [(b.node, b.tag) for b in moved] == [
        ("worker1", "v1"), ("worker1", "v2"), ("manager1", "v2")]
    lost, replacement = moved[1], moved[2]
    assert lost.lost and lost.end is not None and replacement.end is None
    assert replacement.created >= lost.end - 0.01  # the replacement comes after the loss
    assert tl.waves[-1].label == "1\u00d7v2"
    assert "lost (node down)" in str(tl)


def test_the_svg_is_well_formed_and_names_rows_waves_and_nodes(rolled: Snapshot) -> None:
    svg = timeline(rolled, "roll").svg
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"roll.1", "roll.2", "roll.3", "roll.4", "v1", "v2"} <= set(texts)
    assert any(t.startswith("2\u00d7v2 (+") for t in texts)
    assert any(t.startswith("worker2 v") for t in texts)
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert len(titles) == 8 and all("created" in t for t in titles)


def test_colour_by_state_has_a_legend_of_states() -> None:
    svg = timeline(load("viz-node-failure"), "roll", colour_by="state").svg
    assert ">shutdown</text>" in svg and ">running</text>" in svg
    assert 'stroke-dasharray="3,2"' in svg  # the lost task
    with pytest.raises(SpecError, match="colour_by"):
        timeline(load("viz-node-failure"), "roll", colour_by="node")


def test_a_global_service_has_one_row_per_node() -> None:
    tl = timeline(load("viz-12n-60t"), "agent")
    assert len(tl.rows) == 12 and "agent@worker9" in tl.rows
    assert "one row per node" in tl.svg


def test_an_unknown_service_is_a_clear_error(rolled: Snapshot) -> None:
    with pytest.raises(SpecError, match=r"No service 'nope' in the swarm \(services: roll\)"):
        timeline(rolled, "nope")


def test_a_full_slot_history_carries_the_history_limit_note(rolled: Snapshot) -> None:
    assert "task-history-limit" not in timeline(rolled, "roll").svg
    first = next(t for t in rolled.tasks if t.slot == 1)
    extra = [dataclasses.replace(first, id=f"old{i}", created_at=first.created_at) for i in range(3)]
    full = dataclasses.replace(rolled, tasks=rolled.tasks + tuple(extra))
    tl = timeline(full, "roll")
    assert sum(b.row == "roll.1" for b in tl.bars) == HISTORY_LIMIT
    assert "swarm keeps only the last 5 per slot (task-history-limit)" in tl.svg


def test_waves_group_tasks_created_together(rolled: Snapshot) -> None:
    bars = task_history(rolled, "roll")
    assert [len(w.task_ids) for w in waves(bars)] == [4, 2, 2]
    assert len(waves(bars, gap_s=60)) == 1


def test_the_text_form_lists_waves_and_rows(rolled: Snapshot) -> None:
    text = str(timeline(rolled, "roll"))
    assert re.search(r"wave +\+\d+\.\ds +2\u00d7v2", text)
    assert text.count("roll.") == 4
    assert timeline(rolled, "roll")._repr_svg_().startswith("<svg")
