"""The topology picture, drawn from snapshots recorded on real clusters."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from swarmlab.state import Snapshot
from swarmlab.viz import topology
from swarmlab.viz.palette import DOWN, PALETTE, colours, epoch, tag
from swarmlab.viz.topology import LEADER, service_colours

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "snapshots"


def load(name: str) -> Snapshot:
    return Snapshot.from_json((FIXTURES / f"{name}.json").read_text())


def clusters(source: str) -> dict[str, str]:
    """Each node's cluster block of the DOT source, by hostname."""
    blocks = re.split(r"\n\tsubgraph ", source)[1:]
    named = {}
    for block in blocks:
        m = re.search(r"<b>(?:<font[^>]*>[^<]*</font> )?([\w-]+)</b>", block)
        if block.startswith("cluster_") and m:
            named[m.group(1)] = block
    return named


@pytest.fixture(scope="module")
def big() -> Snapshot:
    return load("viz-12n-60t")


def test_every_node_is_a_box_named_after_it(big: Snapshot) -> None:
    boxes = clusters(topology(big).source)
    assert sorted(boxes) == sorted(n.hostname for n in big.nodes)
    assert len(boxes) == 12


def test_only_the_leader_wears_the_star(big: Snapshot) -> None:
    source = topology(big).source
    assert source.count(LEADER) == 1
    leader = big.leader
    assert leader is not None
    assert LEADER in clusters(source)[leader.hostname]
    assert "manager \u00b7 leader" in clusters(source)[leader.hostname]
    assert "manager \u00b7 reachable" in clusters(source)["manager2"]


def test_each_running_task_is_drawn_in_its_node_box_with_slot_and_tag(big: Snapshot) -> None:
    boxes = clusters(topology(big).source)
    running = [t for t in big.tasks if t.running]
    assert len(running) == 60
    for t in running:
        name = f"{t.service}.{t.slot}" if t.slot else f"{t.service} (global)"
        box = boxes[t.node]
        assert f"<b>{name}</b>" in box, (t.node, name)
        assert f">{tag(t.image)}<" in box or f">{tag(t.image)} " in box
    others = [b for host, b in boxes.items() if host != "worker1"]
    assert not any("<b>api.15</b>" in b for b in others)  # api.15 runs on worker1 only


def test_tasks_are_coloured_by_service(big: Snapshot) -> None:
    fills = service_colours(big)
    source = topology(big).source
    for service in ("web", "api", "cache", "agent"):
        assert re.search(rf'bgcolor="{fills[service]}" style="rounded"><b>{service}', source)
    assert len(set(fills.values())) == 4


def test_a_service_keeps_its_colour_when_others_come_and_go() -> None:
    before = colours(["web", "api"])
    after = colours(["web", "api", "cache", "db", "queue"])
    assert before == {k: after[k] for k in before}
    assert len(set(after.values())) == 5
    assert set(colours(f"s{i}" for i in range(20)).values()) <= set(PALETTE)


def test_node_labels_and_availability_are_shown(big: Snapshot) -> None:
    boxes = clusters(topology(big).source)
    assert "storage=ssd" in boxes["worker1"] and "region=eu" in boxes["worker3"]
    assert "storage=ssd" not in boxes["worker4"]
    assert ">ready</font> \u00b7 <font" in boxes["worker4"]
    assert ">active</font>" in boxes["worker4"]


def test_a_down_node_is_grey_and_its_tasks_are_last_seen() -> None:
    snap = load("viz-12n-down-drain")
    boxes = clusters(topology(snap).source)
    down = boxes["worker9"]
    assert ">down</font>" in down and "dashed" in down and f'fillcolor="{DOWN}"' in down
    assert down.count("last seen running") == len(snap.tasks_on("worker9"))
    drained = boxes["worker8"]
    assert ">drain</font>" in drained and "no tasks" in drained


def test_replica_counts_ignore_tasks_on_a_lost_node() -> None:
    source = topology(load("viz-12n-down-drain")).source
    assert ">api</td><td align=\"left\">16/16<" in source
    assert ">agent</td><td align=\"left\">10/global<" in source


def test_published_ports_and_overlay_networks_are_shown() -> None:
    snap = load("viz-unplaced-drain")
    source = topology(snap).source
    assert "8080\u219280/tcp host \u00b7 appnet" in source  # the legend
    assert "v1 \u00b7 :8080" in source  # host-mode port on each web task
    assert "overlay networks: appnet 10.0.1.0/24 attachable" in source
    assert "ingress" not in source  # nothing uses the routing mesh here
    mesh = topology(load("viz-12n-60t")).source
    assert "8080\u219280/tcp mesh" in mesh and "ingress 10.0.0.0/24 (routing mesh)" in mesh


def test_a_task_no_node_can_take_says_why() -> None:
    source = topology(load("viz-unplaced-drain")).source
    assert "not placed on any node" in source
    assert "<b>web.1</b>" in source and "no suitable node (host-mode port" in source


def test_a_swarm_without_leader_shows_the_managers_errors() -> None:
    source = topology(load("quorum-lost-3m")).source
    assert "no leader, so no management" in source
    assert "The swarm does" in source and "manager2 is stopped" in source


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_every_recorded_snapshot_renders_to_svg(path: Path) -> None:
    snap = Snapshot.from_json(path.read_text())
    svg = topology(snap).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    for node in snap.nodes:
        assert re.search(rf">\s*{node.hostname}</text>", svg), node.hostname


def test_twelve_nodes_and_sixty_tasks_render_quickly_and_stay_compact(big: Snapshot) -> None:
    started = time.perf_counter()
    svg = topology(big).pipe(format="svg").decode()
    took = time.perf_counter() - started
    assert took < 3.0, f"render took {took:.2f}s"
    width, height = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"',
                                                  svg).groups())  # type: ignore[union-attr]
    assert width < 900 and height < 1400, (width, height)  # about a square grid, 4 columns
    assert svg.count("<text") > 150


def test_engine_timestamps_become_epoch_seconds() -> None:
    assert epoch("1970-01-01T00:01:00.5Z") == 60.5
    assert epoch("1970-01-01T01:00:00.000000001+01:00") == pytest.approx(0.0, abs=1e-6)
    assert epoch("0001-01-01T00:00:00Z") is None and epoch("") is None
    assert tag("swarmlab/web:v2") == "v2" and tag("localhost:5000/web") == "latest"
