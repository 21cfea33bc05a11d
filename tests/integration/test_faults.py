"""Faults a classroom produces, on real clusters: the kit survives or cleans up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import swarmlab
from swarmlab.providers.dind import container_name
from tests.conftest import lab_name, sigint_default
from tests.integration.conftest import (
    NOTHING,
    host_dockerd_pid,
    leftovers,
    module_lab,
    remove_if_left,
    shared_name,
)

FAULT, RESTART = shared_name(), lab_name("t-restart")

CLI = [sys.executable, "-m", "swarmlab.cli"]


lab = module_lab()


def test_a_killed_node_comes_back_with_the_same_address_and_rejoins(lab, host_engine):
    before = lab.node("worker1").address
    host_engine.containers.get(container_name(FAULT, "worker1")).kill()
    lab.start("worker1")
    again = swarmlab.Lab.connect(FAULT)
    assert again.node("worker1").address == before
    row = next(r for r in again.status() if r["node"] == "worker1")
    assert row["status"] == "Ready" and row["machine"] == "running"
    ip = again.node("worker1").run("hostname -i").stdout.split()
    assert before in ip


def test_up_repairs_a_lab_whose_node_was_removed_by_hand(lab, host_engine):
    host_engine.containers.get(container_name(FAULT, "worker2")).remove(force=True, v=True)
    repaired = swarmlab.Lab.up(FAULT, managers=1, workers=2, quiet=True)
    rows = {r["node"]: r for r in repaired.status()}
    assert sorted(rows) == ["manager1", "worker1", "worker2"]
    assert all(r["status"] == "Ready" for r in rows.values())
    listed = repaired.node("manager1").run("docker node ls --format '{{.Hostname}}'").stdout.split()
    assert sorted(listed) == ["manager1", "worker1", "worker2"], "stale entry left in node ls"


STEP_MARKERS = [
    "creating lab",
    "create the lab network",
    "start 2 node containers",
    "wait for every node's dockerd",
    "form the swarm",
]


@pytest.mark.parametrize("after", STEP_MARKERS)
def test_ctrl_c_at_each_step_of_up_leaves_nothing(host_engine, after):
    name = lab_name(f"t-intr{STEP_MARKERS.index(after)}")
    proc = subprocess.Popen([*CLI, "up", "--name", name, "-w", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=sigint_default)
    try:
        seen = []
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if after in line:
                proc.send_signal(signal.SIGINT)
                break
        out = "".join(seen) + proc.communicate(timeout=90)[0]
        assert proc.returncode in (130, 0), out
        if proc.returncode == 0:  # finished before the signal landed: clean up the normal way
            subprocess.run([*CLI, "down", "--name", name], check=True)
        assert leftovers(name) == NOTHING, out
    finally:
        remove_if_left(proc, name)


@pytest.mark.host_engine
@pytest.mark.skipif(os.path.exists("/run/systemd/system"),
                    reason="restarts dockerd by signal; on a systemd host use systemctl instead")
def test_host_engine_restart_brings_the_lab_back(host_engine):
    swarmlab.Lab.up(RESTART, managers=1, workers=1, quiet=True)
    try:
        pid = host_dockerd_pid()
        assert pid, "no host dockerd found"
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.2)
        from swarmlab import engine

        engine.ensure(log=lambda _msg: None)
        back = swarmlab.Lab.up(RESTART, managers=1, workers=1, quiet=True)
        rows = {r["node"]: r for r in back.status()}
        assert all(r["status"] == "Ready" for r in rows.values()), rows
        assert rows["manager1"]["manager"] == "Leader"
    finally:
        swarmlab.Lab.connect(RESTART).down(quiet=True)
    assert leftovers(RESTART) == NOTHING
