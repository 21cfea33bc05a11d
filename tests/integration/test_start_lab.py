"""start_lab brings a cluster to a lab's starting state from whatever came before."""

from __future__ import annotations

import pytest

import swarmlab
from swarmlab.labs import start_lab
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, leftovers

NAME = lab_name("t-start")


@pytest.fixture(scope="module")
def cleanup(host_engine):
    yield
    swarmlab.Lab.connect(NAME).down(quiet=True)
    assert leftovers(NAME) == NOTHING


def _manager_sees(lab, what: str) -> list[str]:
    return lab.node("manager1").run(f"docker {what} ls -q").check().stdout.split()


def test_leftovers_of_other_labs_are_cleared(cleanup, capsys):
    lab = start_lab("03", name=NAME)
    m = lab.node("manager1")
    m.run("docker service create -d -q --name old --replicas 2 swarmlab/web:v1").check()
    m.run("printf pw | docker secret create oldsecret -").check()
    m.run("docker network create -d overlay oldnet").check()
    m.run("docker node update --label-add disk=ssd worker1").check()
    m.run("docker node update --availability drain worker2").check()
    lab = start_lab("10", name=NAME)
    out = capsys.readouterr().out
    assert "service old" in out and "secret oldsecret" in out and "worker2 back to active" in out
    assert "label disk on worker1" in out
    assert _manager_sees(lab, "service") == [] and _manager_sees(lab, "secret") == []
    labels = m.run("docker node inspect -f '{{.Spec.Labels}}' worker1").stdout.strip()
    assert labels == "map[]"
    assert all(r["availability"] == "Active" for r in lab.status())


def test_a_lab_without_a_swarm_and_back(cleanup):
    lab = start_lab("01", name=NAME)
    states = {n.name: n.run("docker info -f '{{.Swarm.LocalNodeState}}'").stdout.strip()
              for n in lab.nodes}
    assert set(states.values()) == {"inactive"}
    lab = start_lab("03", name=NAME)
    assert [r["status"] for r in lab.status()] == ["Ready"] * 3


def test_three_managers_for_raft_then_back_to_the_default_shape(cleanup):
    lab = start_lab("02", name=NAME)
    managers = [r for r in lab.status() if r["role"] == "manager"]
    assert len(managers) == 3 and sum(r["manager"] == "Leader" for r in managers) == 1
    lab = start_lab("03", name=NAME)
    assert lab.node_names == ["manager1", "worker1", "worker2"]
    listed = lab.node("manager1").run("docker node ls --format '{{.Hostname}}'").stdout.split()
    assert sorted(listed) == ["manager1", "worker1", "worker2"]


def test_unknown_lab_id_names_the_real_ones():
    with pytest.raises(swarmlab.SpecError, match="00, 01"):
        start_lab("99", name=NAME)


def test_params_reach_the_lab(cleanup, monkeypatch):
    monkeypatch.setenv("SWARMLAB_LAB_PARAMS", '{"update_delay": "2s"}')
    lab = start_lab("03", name=NAME, replicas=4)
    assert lab.params == {"update_delay": "2s", "replicas": 4}
