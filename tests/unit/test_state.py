"""Snapshot parsing and reading, on Engine API answers recorded from real clusters."""

from __future__ import annotations

import json

import pytest

from swarmlab.errors import TransportError
from swarmlab.state import Snapshot, fetch_raw, fetch_script, take_snapshot
from swarmlab.state.fetch import split_answers
from tests.fixtures.recorded import FIXTURES, answering, fake_node, fetch_output, snapshot

ALL_SNAPSHOTS = sorted(p.stem for p in (FIXTURES / "snapshots").glob("*.json"))


def test_healthy_cluster_has_a_leader_and_two_ready_workers():
    snap = snapshot("healthy-1m2w")
    assert snap.swarm_active and snap.manageable and not snap.errors
    assert snap.leader is not None and snap.leader.hostname == "manager1"
    assert [n.hostname for n in snap.managers] == ["manager1"]
    assert [n.hostname for n in snap.workers] == ["worker1", "worker2"]
    w1 = snap.node("worker1")
    assert w1 is not None and w1.ready and w1.availability == "active"
    assert w1.address.startswith("172.29.") and w1.engine_version
    assert snap.leader.reachability == "reachable" and w1.reachability == ""


def test_service_spec_is_parsed_without_values():
    snap = snapshot("services")
    web = snap.service("web")
    assert web is not None and web.mode == "replicated" and web.replicas == 2
    assert web.image == "swarmlab/web:v1" and "@" not in web.image
    assert web.update_config is not None
    assert (web.update_config.parallelism, web.update_config.delay_s) == (2, 10.0)
    assert web.update_config.failure_action == "pause"
    assert web.rollback_config is not None and web.rollback_config.parallelism == 1
    assert [(p.target, p.published, p.mode) for p in web.ports] == [(80, 8081, "host")]
    assert web.networks == ("appnet",) and web.endpoint_mode == "dnsrr"
    assert [(m.type, m.source, m.target, m.no_copy) for m in web.mounts] == [
        ("volume", "webdata", "/data", True)]
    assert [(s.name, s.target) for s in web.secrets] == [("db_password", "db_password")]
    assert [(c.name, c.target) for c in web.configs] == [("web_conf", "/etc/web.conf")]
    assert web.env_keys == ("GREETING", "DB_PASSWORD_FILE")
    assert web.constraints == ("node.role==worker",) and web.labels == {"tier": "front"}
    assert (web.running_tasks, web.desired_tasks) == (2, 2)


def test_snapshot_keeps_no_secret_env_or_config_values():
    text = (FIXTURES / "snapshots" / "services.json").read_text()
    assert "s3cret" not in text  # the secret's value
    assert "listen 80" not in text and "bGlzdGVuIDgw" not in text  # config data, plain/base64
    assert "GREETING=hi" not in text  # env values
    assert "BEGIN CERTIFICATE" not in text


def test_global_service_has_no_replica_count_and_one_task_per_node():
    snap = snapshot("services")
    agent = snap.service("agent")
    assert agent is not None and agent.mode == "global" and agent.replicas is None
    tasks = snap.tasks_of("agent")
    assert sorted(t.node for t in tasks) == ["manager1", "worker1", "worker2"]
    assert all(t.slot is None for t in tasks)


def test_tasks_know_their_service_node_and_timestamps():
    snap = snapshot("services")
    hello = snap.tasks_of("hello")
    assert len(hello) == 3 and sorted(t.slot or 0 for t in hello) == [1, 2, 3]
    for t in hello:
        assert t.service == "hello" and t.node in {"manager1", "worker1", "worker2"}
        assert t.state == t.desired_state == "running" and t.container_id
        assert t.created_at and t.updated_at and t.state_since
        assert t.addresses == ()  # on no network: no ports, no --network
        assert t.image == "swarmlab/tools:latest"
    assert all(t.addresses[0].startswith("10.") for t in snap.tasks_of("web"))
    on_w1 = snap.tasks_on("worker1")
    assert on_w1 and all(t.node == "worker1" for t in on_w1)


def test_networks_secrets_and_configs_metadata():
    snap = snapshot("services")
    net = snap.network("appnet")
    assert net is not None and net.driver == "overlay" and net.attachable and net.subnets
    ingress = snap.network("ingress")
    assert ingress is not None and ingress.ingress
    assert snap.secret("db_password") is not None and snap.config("web_conf") is not None


def test_no_swarm_is_a_snapshot_not_an_error():
    snap = snapshot("no-swarm")
    assert not snap.swarm_active and not snap.manageable and not snap.no_leader
    assert snap.source.local_state == "inactive" and snap.nodes == ()
    assert any("not a swarm manager" in e for e in snap.errors)


def test_quorum_loss_keeps_the_engine_error_text():
    snap = snapshot("quorum-lost-3m")
    assert snap.swarm_active and snap.no_leader and not snap.manageable
    assert snap.source.node == "manager1" and snap.source.control_available
    assert any("does not have a leader" in e for e in snap.errors)
    assert any(e.startswith("manager2:") and "stopped" in e for e in snap.errors)


def test_a_worker_that_left_is_still_listed_down():
    snap = snapshot("worker2-left")
    w2 = snap.node("worker2")
    assert w2 is not None and w2.state == "down"
    assert snapshot("worker2-removed").node("worker2") is None


def test_promoted_worker_is_a_reachable_manager():
    snap = snapshot("worker2-promoted")
    w2 = snap.node("worker2")
    assert w2 is not None and w2.role == "manager" and w2.reachability == "reachable"
    assert {n.hostname for n in snap.managers} == {"manager1", "worker2"}


def test_big_snapshot_has_five_nodes_and_thirty_running_tasks():
    snap = snapshot("big-3m2w-30tasks")
    assert len(snap.nodes) == 5 and len(snap.managers) == 3
    assert sum(t.running for t in snap.tasks) == 30
    assert {s.name for s in snap.services} == {"s0", "s1", "s2"}


@pytest.mark.parametrize("name", ALL_SNAPSHOTS)
def test_json_round_trip_gives_the_same_snapshot(name):
    snap = snapshot(name)
    again = Snapshot.from_json(snap.to_json())
    assert again == snap and again.to_json() == snap.to_json()


def test_unknown_fixture_format_is_refused():
    with pytest.raises(ValueError, match="format"):
        Snapshot.from_json(json.dumps({"format": 99}))


# ----- reading: the fetch script's real output through a fake transport ---------------
def test_fetch_script_is_one_curl_on_the_unix_socket():
    script = fetch_script()
    assert script.count("curl ") == 1 and "--unix-socket /var/run/docker.sock" in script
    assert "tcp://" not in script and ":2375" not in script


def test_split_answers_reads_every_endpoint_of_a_healthy_manager():
    raw = split_answers(fetch_output("manager-healthy"))
    assert set(raw) == {"info", "networks", "services", "nodes", "tasks", "secrets", "configs"}
    assert all(a["status"] == 200 for a in raw.values())


def test_fetch_stops_at_the_first_error_and_fills_the_rest_with_it():
    node = fake_node("manager1", "manager", answering(fetch_output("manager-no-leader")))
    raw = fetch_raw(node)
    assert raw["info"]["status"] == 200 and raw["networks"]["status"] == 200
    for ep in ("services", "nodes", "tasks", "secrets", "configs"):
        assert raw[ep]["status"] == 500
        assert "does not have a leader" in raw[ep]["body"]["message"]


def test_fetch_raises_when_the_node_cannot_run_curl():
    node = fake_node("manager1", "manager", answering("", 127, "sh: 1: curl: not found"))
    with pytest.raises(TransportError, match="curl is not installed"):
        fetch_raw(node)


def test_a_slow_engine_is_reported_as_a_time_out():
    out = "\n@@swarmlab http://localhost/info 000@@\n"
    node = fake_node("manager1", "manager", answering(out, 28))
    with pytest.raises(TransportError, match="did not answer within 5 s"):
        fetch_raw(node)


def test_take_snapshot_reads_the_first_manager_once_when_it_answers():
    m1 = fake_node("manager1", "manager", answering(fetch_output("manager-healthy")))
    w1 = fake_node("worker1", "worker", answering(fetch_output("worker-healthy")))
    snap = take_snapshot([w1, m1])
    assert snap.source.node == "manager1" and snap.manageable
    assert len(m1.transport.calls) == 1 and w1.transport.calls == []  # type: ignore[attr-defined]


def test_take_snapshot_skips_a_stopped_manager_and_notes_it():
    m1 = fake_node("manager1", "manager", lambda cmd: None)
    m2 = fake_node("manager2", "manager", answering(fetch_output("manager-healthy")))
    w1 = fake_node("worker1", "worker", answering(fetch_output("worker-healthy")))
    snap = take_snapshot([m1, m2, w1])
    assert snap.source.node == "manager2" and snap.manageable
    assert any(e.startswith("manager1:") and "stopped" in e for e in snap.errors)


def test_take_snapshot_prefers_a_leaderless_manager_over_a_worker():
    m1 = fake_node("manager1", "manager", answering(fetch_output("manager-no-leader")))
    w1 = fake_node("worker1", "worker", answering(fetch_output("worker-healthy")))
    snap = take_snapshot([w1, m1])
    assert snap.source.node == "manager1" and snap.no_leader


def test_take_snapshot_raises_only_when_no_node_can_be_read():
    nodes = [fake_node(n, "manager", lambda cmd: None) for n in ("manager1", "manager2")]
    with pytest.raises(TransportError, match="Could not read any node"):
        take_snapshot(nodes)



def _without_swarm_networks(out: str) -> str:
    """The fetch output with the networks answer an engine gives when its call to the
    swarm failed: its local networks only (``GET /networks`` drops the swarm's silently)."""
    raw = split_answers(out)
    local = [n for n in raw["networks"]["body"] if n["Scope"] == "local"]
    start = out.index("@@swarmlab http://localhost/info 200@@") + len(
        "@@swarmlab http://localhost/info 200@@\n")
    end = out.index("\n@@swarmlab http://localhost/networks 200@@")
    return out[:start] + json.dumps(local) + out[end:]


def test_a_network_list_without_the_networks_services_use_is_read_again(monkeypatch):
    monkeypatch.setattr("swarmlab.state.fetch.time.sleep", lambda s: None)
    full = fetch_output("manager-healthy")
    replies = iter([_without_swarm_networks(full), _without_swarm_networks(full), full])
    m1 = fake_node("manager1", "manager", lambda cmd: answering(next(replies))(cmd))
    snap = take_snapshot([m1])
    assert snap.network("ingress") is not None and not snap.errors
    calls = m1.transport.calls  # type: ignore[attr-defined]
    assert len(calls) == 3 and "/services" not in calls[1] and "/networks" in calls[1]


def test_a_network_list_that_stays_short_is_noted_in_the_snapshot(monkeypatch):
    monkeypatch.setattr("swarmlab.state.fetch.time.sleep", lambda s: None)
    short = _without_swarm_networks(fetch_output("manager-healthy"))
    m1 = fake_node("manager1", "manager", answering(short))
    snap = take_snapshot([m1])
    assert snap.network("ingress") is None
    assert any("lacked networks in use (qkcwracsn1a3)" in e for e in snap.errors)
    assert len(m1.transport.calls) == 4  # type: ignore[attr-defined]
