"""Labs 08-11's checks on a real cluster: each one PASSes on the right state, and a
plausible learner mistake FAILs with a hint that names it. Each step types the command
a learner would, on a node."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
import yaml

import swarmlab
from swarmlab.capabilities import ipvs_available
from swarmlab.checks import Status
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, check, check_fails, check_passes, leftovers
from tests.notebooks.harness import LABS, SOLUTIONS

pytestmark = pytest.mark.integration
LAB = lab_name("hl6-int")
WEB = "swarmlab/web:v1"


@pytest.fixture(scope="module")
def lab(host_engine: Any) -> Iterator[swarmlab.Lab]:
    swarmlab.Lab.up(LAB, managers=1, workers=2, recreate=True, quiet=True)
    yield swarmlab.Lab.connect(LAB)
    swarmlab.Lab.connect(LAB).down(quiet=True)
    assert leftovers(LAB) == NOTHING


def start(lab_id: str) -> swarmlab.Lab:
    return swarmlab.start_lab(lab_id, name=LAB, quiet=True)


def sh(lab: swarmlab.Lab, node: str, cmd: str) -> str:
    return str(lab.run(node, cmd, timeout=120).check().stdout)


def solution(stem: str, check_id: str) -> str:
    """A reference solution's shell lines (a ``%%node manager1`` cell's body)."""
    src = yaml.safe_load((SOLUTIONS / f"{stem}.yml").read_text())[check_id]
    first, _, body = src.partition("\n")
    assert first.strip() == "%%node manager1", first
    return str(body)


# ----- lab 08 -------------------------------------------------------------------------
def answer_of(lab: swarmlab.Lab, check_id: str) -> Any:
    """The ``answer`` a reference solution computes, reading the commands' output as a
    learner would (it runs the solution's Python with ``lab``)."""
    src = yaml.safe_load((SOLUTIONS / "08-networks.yml").read_text())[check_id]
    scope: dict[str, Any] = {"lab": lab}
    exec(compile(src, f"solution {check_id}", "exec"), scope)
    return scope["answer"]


def test_lab08_overlay_discovery_round_robin_and_mesh(lab: swarmlab.Lab) -> None:
    lab = start("08")
    sh(lab, "manager1", solution("08-networks", "08.overlay").replace(" --attachable", ""))
    check_fails(lab, "08.overlay", "not attachable", "--attachable")
    lab = start("08")  # removes the services and the network, as the notebook's first cell
    sh(lab, "manager1", solution("08-networks", "08.overlay"))
    check_passes(lab, "08.overlay")

    answer = answer_of(lab, "08.discovery")  # creates api, looks the three names up
    mixed_up = {**answer, "api": answer["tasks.api"]}
    check_fails(lab, "08.discovery", "api is in vip mode", answer=mixed_up)
    res = check_passes(lab, "08.discovery", answer=answer)
    assert "virtual IP" in res.message

    sh(lab, "manager1", "docker service scale -d web=3")
    check_fails(lab, "08.round-robin", "3 replicas, not 4", "docker service scale web=4",
          answer={"x": 1})
    res = check_passes(lab, "08.round-robin", answer=answer_of(lab, "08.round-robin"))
    assert "all 4 replicas" in res.message

    sh(lab, "manager1", "docker service create -d --name mesh --replicas 1 "
                        f"--publish mode=host,published=8080,target=80 {WEB}")
    check_fails(lab, "08.mesh", "host mode", "--publish-add 8080:80")
    sh(lab, "manager1", "docker service rm mesh")
    sh(lab, "manager1", solution("08-networks", "08.mesh"))
    res = check(lab, "08.mesh")
    if ipvs_available(lab.node("manager1"))[0]:
        assert res.status is Status.PASS, str(res)
        assert "runs no task of mesh" in res.message
    else:
        assert res.status is Status.SKIP, str(res)
        assert "IPVS" in res.message and "modprobe ip_vs" in res.hint


def test_lab08_vip_without_ipvs_gets_no_answers_and_the_hint_names_dnsrr(
        lab: swarmlab.Lab) -> None:
    """Round robin on a vip service where the kernel has no IPVS: the learner's requests get
    no answer, and the hint says to use dnsrr."""
    if ipvs_available(lab.node("manager1"))[0]:
        pytest.skip("this host's kernel has IPVS: a vip service answers here")
    lab = start("08")
    sh(lab, "manager1", solution("08-networks", "08.overlay").replace(
        " --endpoint-mode dnsrr", "").replace("--replicas 3", "--replicas 4"))
    check_fails(lab, "08.round-robin", "IPVS", "--endpoint-mode dnsrr",
          answer=answer_of(lab, "08.round-robin"))


# ----- lab 09 -------------------------------------------------------------------------
def test_lab09_volume_nocopy_bind_and_per_node(lab: swarmlab.Lab) -> None:
    lab = start("09")
    sh(lab, "manager1", "docker service create -d --name db --constraint "
                        "node.hostname==worker1 --mount type=volume,source=dbdata,"
                        "target=/var/data swarmlab/db")
    check_fails(lab, "09.volume", "not at /data")
    sh(lab, "manager1", "docker service rm db && docker service create -d --name db "
                        "--constraint node.hostname==worker1 --mount type=volume,"
                        "source=dbdata,target=/data swarmlab/db")
    check_fails(lab, "09.volume", "one start only", "docker service update --force db")
    sh(lab, "manager1", "docker service update -d --force db")
    res = check_passes(lab, "09.volume")
    assert "worker1" in res.message

    sh(lab, "manager1", "docker service create -d --name db-empty --mount "
                        "type=volume,source=emptydata,target=/data swarmlab/db")
    check_fails(lab, "09.nocopy", "copy of the image's files", "volume-nocopy")
    sh(lab, "manager1", "docker service rm db-empty")
    sh(lab, "manager1", "docker service create -d --name db-empty --mount type=volume,"
                        "source=fresh,target=/data,volume-nocopy swarmlab/db")
    check_passes(lab, "09.nocopy", volume="fresh")

    sh(lab, "manager1", "mkdir -p /srv/swarmlab/site && docker service create -d --name "
                        "site --mode global --mount type=bind,source=/srv/swarmlab/site,"
                        "target=/srv/site swarmlab/tools")
    check_fails(lab, "09.bind", "worker1, worker2", "mkdir -p /srv/swarmlab/site")
    sh(lab, "worker1", "mkdir -p /srv/swarmlab/site")
    check_fails(lab, "09.bind", "worker2", "%node worker2 mkdir -p /srv/swarmlab/site")
    sh(lab, "worker2", "mkdir -p /srv/swarmlab/site")
    check_passes(lab, "09.bind")

    sh(lab, "manager1", "docker service create -d --name notes --mount type=volume,"
                        "source=notes,target=/data swarmlab/db")
    check_fails(lab, "09.per-node", "only one node", "--mode global")
    sh(lab, "manager1", "docker service rm notes && docker service create -d --name notes "
                        "--mode global --mount type=volume,source=notes,target=/data "
                        "swarmlab/db")
    res = check_passes(lab, "09.per-node")
    assert "Each of 3 nodes" in res.message


def test_lab09_shared_folder_is_not_a_per_node_volume(lab: swarmlab.Lab) -> None:
    """A bind mount where a volume was asked for is named as such."""
    lab = start("09")
    sh(lab, "manager1", "docker service create -d --name notes --mode global --mount "
                        "type=bind,source=/srv,target=/data swarmlab/db")
    check_fails(lab, "09.per-node", "bind", "type=volume")


# ----- lab 10 -------------------------------------------------------------------------
def test_lab10_drain_pause_active_label_constraint(lab: swarmlab.Lab) -> None:
    lab = start("10")
    sh(lab, "manager1", "docker node update --availability drain worker1")  # before web
    sh(lab, "manager1", f"docker service create -d --name web --replicas 6 {WEB} && sleep 5")
    check_fails(lab, "10.drain", "drained before web was created", "--force web")
    sh(lab, "manager1", "docker node update --availability active worker1 && "
                        "docker service update -q --force web && "
                        "docker node update --availability drain worker1")
    res = check_passes(lab, "10.drain")
    assert "worker1 is drained and runs no task" in res.message

    sh(lab, "manager1", "docker service rm web && docker service create -d --name web "
                        f"--replicas 6 {WEB} && sleep 6 && "
                        "docker node update --availability pause worker2")
    check_fails(lab, "10.pause", "6 replicas, not 8", "docker service scale web=8")
    sh(lab, "manager1", "docker service scale -d web=8")
    res = check_passes(lab, "10.pause")
    assert "still runs its" in res.message

    sh(lab, "manager1", "docker node update --availability active worker1")
    check_fails(lab, "10.active", "worker2 is still pause", "--availability active worker2")
    sh(lab, "manager1", "docker node update --availability active worker2")
    check_passes(lab, "10.active")  # 10.drain and 10.pause passed in this session: the evidence

    sh(lab, "manager1", "docker node update --label-add storage=ssd worker1")
    check_fails(lab, "10.label", "worker1 has storage=ssd, not worker2", "--label-rm storage worker1")
    sh(lab, "manager1", "docker node update --label-rm storage worker1 && "
                        "docker node update --label-add ssd worker2")
    check_fails(lab, "10.label", "label ssd with no value", "--label-add storage=ssd worker2")
    sh(lab, "manager1", "docker node update --label-rm ssd worker2 && "
                        "docker node update --label-add storage=ssd worker2")
    check_passes(lab, "10.label")

    sh(lab, "manager1", "docker service create -d --name fast --replicas 3 --constraint "
                        f"'node.labels.storage == nvme' {WEB}")
    check_fails(lab, "10.constraint", "No node has the label storage=nvme", "Pending",
          "--constraint-add 'node.labels.storage == ssd'")
    sh(lab, "manager1", "docker service update -d --constraint-rm 'node.labels.storage == "
                        "nvme' --constraint-add 'node.labels.storage == ssd' fast")
    res = check_passes(lab, "10.constraint")
    assert "worker2 (3)" in res.message


# ----- lab 11 -------------------------------------------------------------------------
def _starter_cell() -> str:
    nb = nbformat.read(str(LABS / "11-stack.ipynb"), as_version=4)
    src = next(c.source for c in nb.cells if c.cell_type == "code" and "cat > stack.yml" in
               c.source and "exercise" not in c.get("metadata", {}).get("tags", []))
    return str(src.partition("\n")[2])


def test_lab11_stack(lab: swarmlab.Lab) -> None:
    lab = start("11")
    check_fails(lab, "11.stack", "no stack named app", "docker stack deploy")
    sh(lab, "manager1", _starter_cell())
    sh(lab, "manager1", "cd /srv/swarmlab/app && docker stack deploy -c stack.yml app")
    check_fails(lab, "11.stack", "DB_PASSWORD", "secrets: [db_password]")

    fixed = solution("11-stack", "11.stack")
    without_label = fixed.replace("docker node update --label-add db=true worker1\n", "")
    assert without_label != fixed
    sh(lab, "manager1", without_label)
    check_fails(lab, "11.stack", "no node has that label", "--label-add db=true")
    sh(lab, "manager1", "docker node update --label-add db=true worker1")
    t = time.monotonic()
    res = check_passes(lab, "11.stack")
    assert "db runs only on worker1" in res.message.replace("app_db", "db")
    assert "correct horse" not in str(res) + str(res.details), "a check showed the secret"
    assert time.monotonic() - t < 60
