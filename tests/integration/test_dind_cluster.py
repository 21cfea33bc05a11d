"""A real swarm in one command: dind clusters on the host engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import swarmlab
from swarmlab.errors import ClusterNotFound, ConnectError, SpecError
from tests.conftest import lab_name, sigint_default
from tests.integration.conftest import NOTHING, leftovers, remove_if_left

CORE, BIG, SIDE_A, SIDE_B = (lab_name(n) for n in ("t-core", "t-big", "t-side-a", "t-side-b"))
FAILED, INTR, CLI_LAB, CLI0 = (lab_name(n) for n in ("t-failed", "t-intr", "t-cli", "t-cli0"))
NOWHERE = lab_name("t-nothing-here")


@pytest.fixture(scope="module")
def lab12(host_engine):
    lab = swarmlab.Lab.up(CORE, managers=1, workers=2, quiet=True)
    yield lab
    lab.down(quiet=True)
    assert leftovers(CORE) == NOTHING


def test_every_node_runs_its_own_dockerd_in_the_swarm(lab12):
    for node in lab12.nodes:
        res = node.run("docker info --format '{{json .Swarm}}'").check()
        info = json.loads(res.stdout)
        assert info["LocalNodeState"] == "active"
        assert info["NodeAddr"] == node.address
    rows = {r["node"]: r for r in lab12.status()}
    assert rows["manager1"]["manager"] == "Leader"
    assert {r["status"] for r in rows.values()} == {"Ready"}


def test_lab_images_are_inside_every_node(lab12):
    for node in lab12.nodes:
        out = node.run("docker images --format '{{.Repository}}:{{.Tag}}'").check().stdout
        assert {"swarmlab/web:v1", "swarmlab/web:v2", "swarmlab/tools:latest"} <= set(out.split())


def test_a_replicated_service_runs_across_nodes(lab12):
    m = lab12.node("manager1")
    m.run("docker service create -d --name t-hello --replicas 3 swarmlab/web:v1").check()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ps = m.run("docker service ps t-hello --filter desired-state=running "
                       "--format '{{.Node}} {{.CurrentState}}'").check().stdout.splitlines()
            if len(ps) == 3 and all(" Running" in f" {line}" for line in ps):
                break
            time.sleep(0.5)
        assert len(ps) == 3 and all("Running" in line for line in ps), ps
        assert len({line.split()[0] for line in ps}) >= 2, "tasks should spread over nodes"
    finally:
        m.run("docker service rm t-hello")


def test_a_stopped_worker_goes_away_and_rejoins_after_start(lab12):
    lab12.stop("worker2")
    with pytest.raises(ConnectError, match="stopped"):
        lab12.node("worker2").run("true")
    lab12.start("worker2")
    rows = {r["node"]: r for r in lab12.status()}
    assert rows["worker2"]["status"] == "Ready"
    assert lab12.node("worker2").run("docker info -f '{{.Swarm.LocalNodeState}}'").stdout.strip() == "active"


def test_connect_finds_the_existing_lab_by_labels(lab12):
    again = swarmlab.Lab.connect(CORE)
    assert again.node_names == lab12.node_names
    assert again.node("worker1").address == lab12.node("worker1").address


def test_up_again_reuses_the_healthy_lab_quickly(lab12):
    t = time.monotonic()
    again = swarmlab.Lab.up(CORE, managers=1, workers=2, quiet=True)
    assert again.node_names == lab12.node_names
    assert time.monotonic() - t < 5


def test_unknown_node_and_unknown_lab_are_clear_errors(lab12):
    with pytest.raises(SpecError, match="Its nodes: manager1, worker1, worker2"):
        lab12.node("worker9")
    with pytest.raises(ClusterNotFound, match=f"swarmlab up --name {NOWHERE}"):
        swarmlab.Lab.connect(NOWHERE)


def test_load_copies_a_host_image_into_every_node(lab12, host_engine):
    host_engine.images.get("swarmlab/tools:latest").tag("t-mine/tool", "1")
    try:
        lab12.load(["t-mine/tool:1"])
        for node in lab12.nodes:
            assert node.run("docker image inspect t-mine/tool:1").ok
    finally:
        host_engine.images.remove("t-mine/tool:1")


def test_three_managers_two_workers_form_and_down_leaves_nothing(host_engine):
    lab = swarmlab.Lab.up(BIG, managers=3, workers=2, quiet=True)
    try:
        rows = lab.status()
        assert [r["manager"] for r in rows if r["role"] == "manager"].count("Leader") == 1
        assert all(r["manager"] in ("Leader", "Reachable") for r in rows if r["role"] == "manager")
        assert all(r["status"] == "Ready" for r in rows)
    finally:
        lab.down(quiet=True)
    assert leftovers(BIG) == NOTHING


def test_two_labs_side_by_side_do_not_see_each_other(host_engine):
    a = swarmlab.Lab.up(SIDE_A, managers=1, workers=1, quiet=True)
    try:
        b = swarmlab.Lab.up(SIDE_B, managers=1, workers=1, quiet=True)
        try:
            for lab in (a, b):
                out = lab.node("manager1").run("docker node ls -q").check().stdout.split()
                assert len(out) == 2
            assert a.node("manager1").address != b.node("manager1").address
        finally:
            b.down(quiet=True)
        assert leftovers(SIDE_B) == NOTHING
        assert a.node("worker1").run("docker info -f '{{.Swarm.LocalNodeState}}'").stdout.strip() == "active"
    finally:
        a.down(quiet=True)


def test_a_failed_up_leaves_nothing(host_engine, monkeypatch):
    from swarmlab import lab as lab_module

    def broken_form(nodes):
        raise swarmlab.SwarmError("simulated join failure")

    monkeypatch.setattr(lab_module.swarm, "form", broken_form)
    with pytest.raises(swarmlab.SwarmError):
        swarmlab.Lab.up(FAILED, managers=1, workers=1, quiet=True)
    assert leftovers(FAILED) == NOTHING


def test_ctrl_c_during_up_leaves_nothing(host_engine):
    proc = subprocess.Popen(
        [sys.executable, "-m", "swarmlab.cli", "up", "--name", INTR, "-w", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=sigint_default,
    )
    try:
        # Interrupt once the node containers are being started.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and leftovers(INTR)["containers"] == 0:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 130, out
        assert leftovers(INTR) == NOTHING, out
    finally:
        remove_if_left(proc, INTR)


def test_cli_up_status_exec_down_round_trip(host_engine):
    env = {**os.environ}
    cli = [sys.executable, "-m", "swarmlab.cli"]
    up = subprocess.run([*cli, "up", "--name", CLI_LAB, "-w", "1"], capture_output=True, text=True, env=env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "Leader" in up.stdout
        ex = subprocess.run([*cli, "exec", "--name", CLI_LAB, "worker1", "--", "hostname"],
                            capture_output=True, text=True)
        assert ex.returncode == 0 and ex.stdout.strip() == "worker1"
        bad = subprocess.run([*cli, "exec", "--name", CLI_LAB, "worker1", "--", "exit 3"],
                             capture_output=True, text=True)
        assert bad.returncode == 3
        zero = subprocess.run([*cli, "up", "--name", CLI0, "-m", "0"], capture_output=True, text=True)
        assert zero.returncode == 1 and "out of range" in zero.stderr
        assert leftovers(CLI0) == NOTHING
    finally:
        down = subprocess.run([*cli, "down", "--name", CLI_LAB], capture_output=True, text=True)
    assert down.returncode == 0
    assert leftovers(CLI_LAB) == NOTHING
