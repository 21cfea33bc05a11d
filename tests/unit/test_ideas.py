"""Pictures of Swarm's ideas: each renders, its parameters change what it shows, and a
bad name or parameter is a SpecError that says what would be accepted."""

from __future__ import annotations

import re

import pytest

import swarmlab
from swarmlab.errors import SpecError
from swarmlab.viz.ideas import IDEAS, idea


def labels(source: str, node: str) -> str:
    """The attributes of the DOT statement that declares ``node`` (labels may span lines)."""
    m = re.search(rf"^\t+{re.escape(node)} \[(.*?)\]$", source, re.M | re.S)
    assert m, f"no node {node} in the picture"
    return m.group(0)


@pytest.mark.parametrize("name", sorted(IDEAS))
def test_every_idea_renders_to_svg(name: str) -> None:
    svg = idea(name).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg


def test_idea_is_public_api() -> None:
    assert "idea" in swarmlab.__all__
    assert swarmlab.idea("quorum").source == idea("quorum").source


def test_unknown_idea_names_the_known_ones() -> None:
    with pytest.raises(SpecError, match="known ideas: quorum, overlay, endpoints, mesh, rolling"):
        idea("consensus")


def test_unknown_parameter_lists_the_accepted_ones() -> None:
    with pytest.raises(SpecError, match="takes no workers; its parameters: managers, down"):
        idea("quorum", workers=2)


def test_three_managers_elect_a_leader_and_log_to_followers() -> None:
    src = idea("quorum").source
    assert "majority 2" in src and "quorum holds" in src
    assert "leader" in labels(src, "manager1") and "follower" in labels(src, "manager3")
    assert len(re.findall(r"manager1 -> manager\d \[[^]]*style=solid", src)) == 2
    assert src.count("label=log") == 1  # one label per kind of edge, so they never overlap
    assert "survives 1 more manager down" in src


def test_five_managers_with_three_down_lose_quorum_but_tasks_keep_running() -> None:
    src = idea("quorum", managers=5, down=3).source
    assert "2 up, 3 down, quorum lost" in src
    assert all("down" in labels(src, f"manager{i}") for i in (3, 4, 5))
    assert "leader" not in labels(src, "manager1").replace("no leader", "")
    assert "The swarm does not have a leader" in src
    assert "Keeps running" in src and "--force-new-cluster" in src
    assert "until there are 5 again" in src


def test_five_managers_with_two_down_still_hold_quorum() -> None:
    src = idea("quorum", managers=5, down=2).source
    assert "quorum holds" in src and "survives 0 more managers down" in src
    assert "unreachable" in src


def test_one_manager_down_of_one_loses_everything() -> None:
    assert "quorum lost" in idea("quorum", managers=1, down=1).source


@pytest.mark.parametrize("params", [
    {"managers": 0}, {"managers": 8}, {"managers": 3, "down": 4}, {"down": -1},
    {"managers": "3"}, {"managers": True},
])
def test_quorum_refuses_impossible_counts(params: dict[str, object]) -> None:
    with pytest.raises(SpecError, match="must be a whole number"):
        idea("quorum", **params)


def test_overlay_wraps_packets_in_vxlan_between_every_pair_of_neighbours() -> None:
    src = idea("overlay", nodes=3).source
    assert "10.0.1.0/24" in src and "UDP 4789" in src
    assert src.count("VXLAN tunnel") == 2
    assert all(f"cluster_node{i}" in src for i in (1, 2, 3))
    for port in ("2377/tcp", "7946/tcp+udp", "4789/udp"):
        assert port in src


def test_endpoints_show_one_virtual_ip_against_every_task_address() -> None:
    src = idea("endpoints", replicas=4).source
    assert "cluster_vip" in src and "cluster_dnsrr" in src
    assert "IPVS" in labels(src, "vip_ipvs")
    assert "10.0.1.5, 10.0.1.6, 10.0.1.7, 10.0.1.8" in src
    assert "shuffled" in src and "same task can come first twice" in src
    only_vip = idea("endpoints", mode="vip").source
    assert "cluster_dnsrr" not in only_vip


def test_endpoints_refuse_an_unknown_mode() -> None:
    with pytest.raises(SpecError, match="mode must be one of both, vip, dnsrr"):
        idea("endpoints", mode="round-robin")


def test_mesh_publishes_the_port_on_every_node_and_forwards_to_a_task_elsewhere() -> None:
    src = idea("mesh", nodes=4, replicas=1, port=9000).source
    assert src.count(":9000 published") == 4
    assert src.count("no task here") == 3
    assert "http://node4:9000/" in src
    assert re.search(r"port4 -> task1 \[[^]]*ingress overlay", src)


def test_mesh_refuses_more_replicas_than_nodes_and_bad_ports() -> None:
    with pytest.raises(SpecError, match="replicas"):
        idea("mesh", nodes=2, replicas=3)
    with pytest.raises(SpecError, match="port"):
        idea("mesh", port=70000)


def test_rolling_update_of_six_tasks_two_at_a_time_takes_three_batches() -> None:
    src = idea("rolling", replicas=6, parallelism=2, delay="10s").source
    assert [h for h in ("batch 1", "batch 2", "batch 3", "batch 4") if h in src] == \
        ["batch 1", "batch 2", "batch 3"]
    assert src.count("wait 10s (delay)") == 2
    assert labels(src, "s1").count("<b>v2</b>") == 2
    assert labels(src, "s3").count("<b>v2</b>") == 6


def test_parallelism_zero_replaces_everything_at_once() -> None:
    src = idea("rolling", replicas=4, parallelism=0).source
    assert "batch 1" in src and "batch 2" not in src


def test_a_broken_image_with_pause_stops_after_the_first_batch() -> None:
    src = idea("rolling", broken=True, failure_action="pause").source
    assert "batch 2" not in src and "update paused" in src
    assert labels(src, "s2").count("broken</b>") == 2 and labels(src, "s2").count("v1</b>") == 4


def test_a_broken_image_with_rollback_returns_to_v1() -> None:
    src = idea("rolling", broken=True, failure_action="rollback").source
    assert "rolled back" in src and labels(src, "s2").count("v1</b>") == 6


def test_a_broken_image_with_continue_breaks_every_task() -> None:
    src = idea("rolling", broken=True, failure_action="continue").source
    assert labels(src, "s3").count("broken</b>") == 6


@pytest.mark.parametrize("params, word", [
    ({"failure_action": "stop"}, "failure_action"), ({"parallelism": -1}, "parallelism"),
    ({"replicas": 13}, "replicas"), ({"delay": ""}, "delay"), ({"broken": "yes"}, "broken"),
])
def test_rolling_refuses_bad_parameters(params: dict[str, object], word: str) -> None:
    with pytest.raises(SpecError, match=word):
        idea("rolling", **params)
