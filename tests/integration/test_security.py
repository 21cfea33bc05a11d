"""No node exposes an engine API; bad input gets a clear error and leaves nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

import swarmlab
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, leftovers, module_lab, shared_name

SEC, BAD, VANISH = shared_name(), lab_name("t-bad"), lab_name("t-vanish")

CLI = [sys.executable, "-m", "swarmlab.cli"]


lab = module_lab()


def test_no_node_publishes_a_host_port(lab, host_engine):
    for node in lab.nodes:
        attrs = host_engine.containers.get(node.provider_id).attrs
        assert not attrs["HostConfig"].get("PortBindings")
        assert not any(attrs["NetworkSettings"].get("Ports", {}).values())


def test_no_node_engine_listens_on_tcp(lab):
    for node in lab.nodes:
        cmdline = node.run("tr '\\0' ' ' < /proc/$(pidof dockerd)/cmdline").check().stdout
        assert "tcp://" not in cmdline
        listening = node.run("ss -Hltnp").check().stdout
        for line in listening.splitlines():
            port = line.split()[3].rsplit(":", 1)[-1]
            assert port not in ("2375", "2376"), line
            # Swarm's own ports (2377 raft/TLS, 7946 gossip) are the only dockerd listeners.
            if "dockerd" in line:
                assert port in ("2377", "7946"), line


def test_node_containers_do_not_run_privileged_where_capabilities_suffice(lab, host_engine):
    from swarmlab.providers.dind import DindProvider

    attrs = host_engine.containers.get(lab.nodes[0].provider_id).attrs["HostConfig"]
    if not DindProvider(host_engine).privileged_works():
        assert attrs["Privileged"] is False
        assert "SYS_RESOURCE" in (attrs.get("CapDrop") or [])
    assert attrs["CgroupnsMode"] == "private"


def test_join_tokens_never_appear_in_errors(lab):
    from swarmlab import swarm

    token = swarm.join_token(lab.node("manager1"), "worker")
    broken = swarmlab.Node("worker1", "worker", "127.0.0.2", lab.node("worker1").transport)
    lab.node("worker1").run("docker swarm leave --force")
    try:
        with pytest.raises(swarmlab.SwarmError) as info:
            # One attempt: retrying a manager that never answers proves nothing more here.
            swarm.join(broken, token, swarmlab.Node("x", "manager", "127.0.0.9",
                                                    lab.node("manager1").transport), attempts=1)
        assert token not in str(info.value)
    finally:
        lab.node("worker1").run("docker swarm leave --force")
        manager = lab.node("manager1")
        manager.run("docker node rm --force worker1")
        swarm.join(lab.node("worker1"), token, manager)
        lab.wait_ready()


def test_loading_an_image_that_does_not_exist_says_how_to_get_it(lab):
    res = subprocess.run([*CLI, "load", "--name", SEC, "no-such-image:1"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "not on the host" in res.stderr and "Build it" in res.stderr


def test_odd_lab_names_and_bad_counts_are_refused_before_anything_exists(host_engine):
    for args in (["--name", "Bad Name!"], ["--name", BAD, "-w", "-1"],
                 ["--name", BAD, "-m", "12"]):
        res = subprocess.run([*CLI, "up", *args], capture_output=True, text=True)
        assert res.returncode == 1 and "error:" in res.stderr, res.stderr
    assert leftovers(BAD) == NOTHING


def test_a_command_on_a_node_that_vanishes_is_a_connect_error(host_engine):
    lab = swarmlab.Lab.up(VANISH, managers=1, workers=0, form_swarm=False, quiet=True)
    node = lab.node("manager1")
    lab.down(quiet=True)
    with pytest.raises(swarmlab.ConnectError, match="does not exist"):
        node.run("true")
