"""The ssh provider on an inventory of dind nodes running sshd: a real swarm over SSH."""

from __future__ import annotations

import time

import pytest
import yaml

import swarmlab
from swarmlab.errors import ProviderError, SpecError
from swarmlab.keys import lab_key
from swarmlab.providers.dind import DindProvider
from swarmlab.providers.ssh import SshProvider
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, leftovers

HOSTS = lab_name("hssh-hosts")  # the dind machines
LAB = lab_name("hssh-inv")  # the lab made on them over SSH



@pytest.fixture(scope="module")
def machines(cache, host_engine):
    key, pub = lab_key(HOSTS)
    lab = swarmlab.Lab.up(HOSTS, 1, 2, provider_obj=DindProvider(host_engine, ssh_pubkey=pub),
                          form_swarm=False, load_images=False, quiet=True)
    yield lab, key
    lab.down(quiet=True)
    assert leftovers(HOSTS) == NOTHING


@pytest.fixture(scope="module")
def inventory(machines, tmp_path_factory):
    lab, key = machines
    path = tmp_path_factory.mktemp("inv") / "hosts.yaml"
    hosts = [{"name": n.name, "address": n.address} for n in lab.nodes]
    path.write_text(yaml.safe_dump({"defaults": {"user": "root", "key": str(key)},
                                    "hosts": hosts}))
    return path


@pytest.fixture(scope="module")
def sshlab(inventory, host_engine):
    lab = swarmlab.Lab.up(LAB, 1, 2, provider_obj=SshProvider(inventory, client=host_engine),
                          quiet=True)
    yield lab
    lab.down(quiet=True)


def test_the_swarm_forms_over_ssh_with_each_hosts_own_address(sshlab, machines):
    dind, _ = machines
    rows = {r["node"]: r for r in sshlab.status()}
    assert {r["status"] for r in rows.values()} == {"Ready"}
    assert rows["manager1"]["manager"] == "Leader"
    for node in sshlab.nodes:
        assert node.address == dind.node(node.name).address  # detected: the host owns it
        assert "SSHTransport" in repr(node.transport)
        info = node.run("docker info -f '{{.Swarm.NodeAddr}}'").check().stdout.strip()
        assert info == node.address


def test_lab_images_were_streamed_over_ssh(sshlab):
    for node in sshlab.nodes:
        out = node.run("docker images --format '{{.Repository}}:{{.Tag}}'").check().stdout
        assert "swarmlab/web:v1" in out.split()


def test_snapshot_and_checks_work_unchanged(sshlab):
    snap = sshlab.snapshot()
    assert {n.hostname for n in snap.nodes} == {"manager1", "worker1", "worker2"}
    result = sshlab.check("01.init")
    assert result.status.name == "PASS", result


def test_magics_run_cells_on_ssh_nodes_unchanged(sshlab):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    sh = InteractiveShell.instance()
    sh.run_cell("%reload_ext swarmlab")
    sh.user_ns["sshlab"] = sshlab
    try:
        with capture_output() as cap:
            sh.run_cell("%%node worker1\nhostname\ndocker info -f '{{.Swarm.LocalNodeState}}'")
            sh.run_cell("%swarmlab status")
        assert cap.stdout.split()[:2] == ["worker1", "active"], cap.stdout
        assert "Leader" in cap.stdout
    finally:
        sh.user_ns.pop("sshlab", None)


def test_connect_finds_the_ssh_lab_from_its_record(sshlab):
    again = swarmlab.Lab.connect(LAB, provider="ssh")
    assert again.node_names == sshlab.node_names
    assert [n.address for n in again.nodes] == [n.address for n in sshlab.nodes]
    assert LAB in SshProvider().labs()


def test_stop_says_it_cannot_power_hosts_without_systemd(sshlab):
    with pytest.raises(ProviderError, match="cannot power real hosts"):
        sshlab.stop("worker2")


def test_an_inventory_without_the_asked_host_is_a_clear_error(inventory, host_engine):
    with pytest.raises(SpecError, match="no host 'worker3'"):
        swarmlab.Lab.up(lab_name("hssh-big"), 1, 3, provider_obj=SshProvider(inventory, client=host_engine),
                        quiet=True)


def test_down_leaves_the_swarm_and_removes_lab_images_on_every_host(inventory, machines,
                                                                   host_engine):
    dind, _ = machines
    lab = swarmlab.Lab.connect(LAB, provider="ssh")
    lab.down(quiet=True)
    for node in dind.nodes:
        for _ in range(20):  # a busy engine may take a moment to answer after leaving
            res = node.run("docker info -f '{{.Swarm.LocalNodeState}}'")
            if res.ok:
                break
            time.sleep(0.5)
        assert res.stdout.strip() == "inactive", res
        assert "swarmlab/" not in node.run("docker images --format '{{.Repository}}'").stdout
    assert LAB not in SshProvider().labs()
