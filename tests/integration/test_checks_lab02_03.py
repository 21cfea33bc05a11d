"""Labs 02 and 03's checks on real clusters: the right state PASSes, a plausible learner
mistake FAILs with a hint that names it. Each step types what a learner would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

import swarmlab
from swarmlab.checks import CheckResult, Status
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, check, leftovers, typed

pytestmark = pytest.mark.integration
LAB02, LAB03 = lab_name("hlab02"), lab_name("hlab03")
HELLO = "swarmlab/tools sh -c 'while true; do echo hello world; sleep 1; done'"


def sh(lab: swarmlab.Lab, node: str, cmd: str, timeout: float = 90) -> str:
    return str(lab.run(node, cmd, timeout=timeout).check().stdout)


def failed(res: CheckResult, *words: str) -> None:
    """``res`` is a FAIL whose message or hint names every one of ``words``."""
    text = f"{res.message} {res.hint}"
    assert res.status is Status.FAIL, str(res)
    assert res.hint, str(res)
    missing = [w for w in words if w not in text]
    assert not missing, f"{missing} not named in: {res}"


def passed(res: CheckResult) -> None:
    assert res.status is Status.PASS, str(res)


# ----- lab 03: services -------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab03(host_engine: Any) -> Iterator[swarmlab.Lab]:
    lab = swarmlab.start_lab("03", name=LAB03, quiet=True)
    yield lab
    lab.down(quiet=True)
    assert leftovers(LAB03) == NOTHING


@pytest.fixture
def services(lab03: swarmlab.Lab) -> swarmlab.Lab:
    """Lab 03 with no service at all."""
    sh(lab03, "manager1", "docker service rm $(docker service ls -q) >/dev/null 2>&1; true")
    return lab03


def create(lab: swarmlab.Lab, args: str, wait: bool = False) -> None:
    """``docker service create``; without ``wait`` it returns at once (the checks wait for
    the tasks to settle, as they do after a learner's command)."""
    sh(lab, "manager1", f"docker service create -q {'' if wait else '-d '}{args}")


def test_create_with_an_image_no_node_has_fails_naming_it(services: swarmlab.Lab) -> None:
    sh(services, "manager1", "docker service create -d -q --name hello --replicas 3 "
                             "ubuntu:14.04 sh -c 'while true; do echo hello world; sleep 1; done'")
    res = check(services, "03.create", settle_s=10)
    failed(res, "No such image", "swarmlab/tools")


def test_create_as_asked_passes(services: swarmlab.Lab) -> None:
    create(services, f"--name hello --replicas 3 {HELLO}")
    res = check(services, "03.create")
    passed(res)
    assert "hello world" in res.message


def test_scale_to_four_instead_of_five_fails(services: swarmlab.Lab) -> None:
    create(services, f"--name hello --replicas 4 {HELLO}")
    failed(check(services, "03.scale"), "4 replicas, not 5", "docker service scale hello=5")


def test_scale_to_five_passes_and_counts_per_node(services: swarmlab.Lab) -> None:
    create(services, f"--name hello --replicas 3 {HELLO}")
    sh(services, "manager1", "docker service scale -d hello=5")
    res = check(services, "03.scale")
    passed(res)
    assert sum(res.details["running_per_node"].values()) == 5


@pytest.fixture
def hello5(services: swarmlab.Lab) -> dict[str, int]:
    """``hello`` with 5 tasks; returns how many run on each node."""
    create(services, f"--name hello --replicas 5 {HELLO}", wait=True)
    out = sh(services, "manager1",
             "docker service ps hello --filter desired-state=running --format '{{.Node}}'")
    counts: dict[str, int] = {}
    for node in out.split():
        counts[node] = counts.get(node, 0) + 1
    return counts


def test_where_listing_the_nodes_without_counting_fails(
        services: swarmlab.Lab, hello5: dict[str, int]) -> None:
    failed(check(services, "03.where", answer=sorted(services.node_names)),
           "lists node names only", "answer = {'manager1': 2, ...}")


def test_where_with_the_counts_read_from_service_ps_passes(
        services: swarmlab.Lab, hello5: dict[str, int]) -> None:
    passed(check(services, "03.where", answer=hello5))


# ----- lab 02: Raft and quorum ------------------------------------------------------------
@pytest.fixture(scope="module")
def lab02(host_engine: Any) -> Iterator[swarmlab.Lab]:
    lab = swarmlab.start_lab("02", name=LAB02, quiet=True)
    yield lab
    lab.down(quiet=True)
    assert leftovers(LAB02) == NOTHING


def running_again(lab: swarmlab.Lab) -> None:
    for row in lab.status():
        if row["machine"] != "running":
            lab.start(row["node"])


def test_three_managers_fail_as_the_lab_starts_and_pass_after_promote_and_demote(
        lab02: swarmlab.Lab) -> None:
    failed(check(lab02, "02.three-managers"), "as the lab started", "docker node demote worker1")
    typed(lab02, "manager1", "docker node promote worker1")
    typed(lab02, "manager1", "for i in $(seq 1 30); do docker node demote worker1 "
                             ">/dev/null 2>&1 && break; sleep 1; done")
    passed(check(lab02, "02.three-managers"))


def test_quorum_lost_with_nothing_stopped_fails(lab02: swarmlab.Lab) -> None:
    failed(check(lab02, "02.quorum-lost"), "All 3 managers are running",
           "lab.stop('manager2')", "lab.stop('manager3')")


def test_quorum_loss_then_a_half_done_recovery_fails_then_passes(lab02: swarmlab.Lab) -> None:
    lab02.stop("manager2")
    lab02.stop("manager3")
    t0 = time.monotonic()
    lost = check(lab02, "02.quorum-lost")
    passed(lost)
    assert "manager1" in lost.message and time.monotonic() - t0 < 60
    lab02.start("manager2")  # two of three: the quorum is back, manager3 still off
    failed(check(lab02, "02.recovered"), "manager3 is still powered off",
           "lab.start('manager3')")
    lab02.start("manager3")
    res = check(swarmlab.connect(LAB02), "02.recovered")  # as a restarted kernel would
    passed(res)
    assert "Leader" in res.message
