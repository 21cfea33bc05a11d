"""One contract, every provider that can run here: the same tests against each.

dind makes node containers on the host engine; ssh reaches an inventory of dind machines
that run sshd (as test_ssh_provider.py does). vm and vagrant need qemu or Vagrant: their
own tiers (tests/vm, tests/vagrant) run this shape of test on real VMs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

import swarmlab
from swarmlab.errors import ProviderError
from swarmlab.keys import lab_key
from swarmlab.progress import Steps
from swarmlab.providers import PROVIDERS, Provider
from swarmlab.providers.dind import DindProvider
from swarmlab.providers.ssh import SshProvider
from swarmlab.spec import ClusterSpec, NodeSpec
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, leftovers

QUIET = Steps(quiet=True)



def _dind(host_engine: Any, tmp: Any) -> Iterator[tuple[Provider, str]]:
    yield DindProvider(host_engine), lab_name("hcon-dind")


def _ssh(host_engine: Any, tmp: Any) -> Iterator[tuple[Provider, str]]:
    hosts = lab_name("hcon-hosts")
    key, pub = lab_key(hosts)
    machines = swarmlab.Lab.up(hosts, 1, 2, provider_obj=DindProvider(host_engine, ssh_pubkey=pub),
                               form_swarm=False, load_images=False, quiet=True)
    path = tmp / "hosts.yaml"
    path.write_text(yaml.safe_dump({
        "defaults": {"user": "root", "key": str(key)},
        "hosts": [{"name": n.name, "address": n.address} for n in machines.nodes],
    }))
    try:
        yield SshProvider(path, client=host_engine), lab_name("hcon-ssh")
    finally:
        machines.down(quiet=True)
        assert leftovers(hosts) == NOTHING


MAKERS = {"dind": _dind, "ssh": _ssh}


def test_every_registered_provider_is_either_tested_here_or_in_its_own_tier():
    assert set(PROVIDERS) == {"dind", "ssh", "vm", "vagrant"}
    assert set(MAKERS) <= set(PROVIDERS)


@pytest.fixture(scope="module", params=sorted(MAKERS))
def made(request: Any, cache: None, host_engine: Any,
         tmp_path_factory: Any) -> Iterator[tuple[Provider, str, list[Any]]]:
    maker = MAKERS[request.param](host_engine, tmp_path_factory.mktemp("contract"))
    prov, lab = next(maker)
    try:
        prov.check_capacity(2)
        prov.prepare_images(QUIET)
        nodes = prov.create(ClusterSpec(lab, 1, 1, prov.name), QUIET)
        yield prov, lab, nodes
    finally:
        prov.delete(lab)
        next(maker, None)


def test_create_gives_nodes_in_order_with_their_roles_and_engines(made):
    prov, lab, nodes = made
    assert [(n.name, n.role) for n in nodes] == [("manager1", "manager"), ("worker1", "worker")]
    for n in nodes:
        assert n.address and n.run("docker version -f ok").check().stdout.strip() == "ok"
        prov.wait_engine(n, timeout=10)


def test_find_states_and_labs_see_what_create_made(made):
    prov, lab, nodes = made
    found = prov.find(lab)
    assert [(n.name, n.role, n.address) for n in found] == \
        [(n.name, n.role, n.address) for n in nodes]
    assert prov.states(lab) == {"manager1": "running", "worker1": "running"}
    assert lab in prov.labs()


def test_load_images_puts_host_images_in_each_node(made):
    prov, lab, nodes = made
    prov.load_images(nodes, ["swarmlab/web:v1"])
    for n in nodes:
        assert "swarmlab/web:v1" in n.run("docker images --format '{{.Repository}}:{{.Tag}}'")\
            .check().stdout.split()


def test_add_then_remove_one_machine(made):
    prov, lab, _ = made
    new = prov.add(lab, NodeSpec("worker2", "worker", 2), QUIET)
    assert new.name == "worker2" and new.run("docker version -f ok").ok
    assert [n.name for n in prov.find(lab)] == ["manager1", "worker1", "worker2"]
    prov.remove(lab, "worker2")
    assert [n.name for n in prov.find(lab)] == ["manager1", "worker1"]


def test_stop_takes_the_engine_away_and_start_brings_it_back(made):
    prov, lab, _ = made
    try:
        prov.stop(lab, "worker1")
    except ProviderError as e:  # the ssh provider on hosts without systemd
        assert "cannot power real hosts" in str(e)
        pytest.skip(f"{prov.name}: these hosts have no systemd, so the engine cannot stop")
    assert prov.states(lab)["worker1"] != "running"
    if isinstance(prov, DindProvider):  # what doctor's probe picks a node from
        assert [n.name for n in prov.find(lab, running_only=True)] == ["manager1"]
    prov.start(lab, "worker1")
    assert prov.states(lab)["worker1"] == "running"


def test_delete_forgets_the_lab(made):
    prov, lab, _ = made
    assert prov.delete(lab) > 0
    assert prov.find(lab) == [] and lab not in prov.labs()
