"""Labs 02 and 03's checks on real clusters: the right state PASSes, a plausible learner
mistake FAILs with a hint that names it. Each step types what a learner would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

import swarmlab
from swarmlab.checks import CheckResult, Status
from swarmlab.checks.lab03 import read_answer
from tests.conftest import lab_name
from tests.integration.conftest import NOTHING, leftovers

pytestmark = pytest.mark.integration
LAB02, LAB03 = lab_name("hlab02"), lab_name("hlab03")
HELLO = "swarmlab/tools sh -c 'while true; do echo hello world; sleep 1; done'"


def check(lab: swarmlab.Lab, check_id: str, **params: Any) -> CheckResult:
    res = lab.check(check_id, **params)
    assert isinstance(res, CheckResult)
    return res


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


def test_create_without_any_service_fails_with_the_full_command(services: swarmlab.Lab) -> None:
    failed(check(services, "03.create"), "no service named hello",
           "docker service create --name hello --replicas 3")


def test_create_with_a_misspelled_name_fails_naming_both(services: swarmlab.Lab) -> None:
    create(services, f"--name helo --replicas 3 {HELLO}")
    failed(check(services, "03.create"), "helo", "docker service rm helo", "--name hello")


def test_create_with_two_replicas_instead_of_three_fails(services: swarmlab.Lab) -> None:
    create(services, f"--name hello --replicas 2 {HELLO}")
    failed(check(services, "03.create"), "2 replicas, not 3", "docker service scale hello=3")


def test_create_without_the_command_fails_naming_it(services: swarmlab.Lab) -> None:
    create(services, "--name hello --replicas 3 swarmlab/tools")
    failed(check(services, "03.create"), "the image's own command", "hello world")


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


def test_scale_without_the_service_fails(services: swarmlab.Lab) -> None:
    failed(check(services, "03.scale"), "no service named hello", "03.create")


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


def test_where_leaving_out_the_manager_fails_and_says_managers_run_tasks(
        services: swarmlab.Lab, hello5: dict[str, int]) -> None:
    assert "manager1" in hello5, "5 tasks on 3 nodes: the spread puts some on manager1"
    answer = [n for n in hello5 if n != "manager1"]
    failed(check(services, "03.where", answer=answer), "You left out manager1",
           "Managers run tasks too", "NODE column")


def test_where_naming_a_node_without_tasks_fails_naming_it(
        services: swarmlab.Lab, hello5: dict[str, int]) -> None:
    sh(services, "manager1", "docker service scale hello=1 >/dev/null", timeout=60)
    busy = sh(services, "manager1", "docker service ps hello --filter desired-state=running "
                                    "--format '{{.Node}}'").split()
    idle = next(n for n in services.node_names if n not in busy)
    failed(check(services, "03.where", answer=[*busy, idle]), f"{idle} runs no task of hello")


def test_where_with_a_task_name_fails_saying_it_is_not_a_node(
        services: swarmlab.Lab, hello5: dict[str, int]) -> None:
    failed(check(services, "03.where", answer=["hello.1"]), "task's name", "not a node")


def test_where_with_wrong_counts_fails_naming_the_node(
        services: swarmlab.Lab, hello5: dict[str, int]) -> None:
    node = next(iter(hello5))
    wrong = {**hello5, node: hello5[node] + 1}
    failed(check(services, "03.where", answer=wrong), f"{node} runs", f"not {wrong[node]}")


def test_where_with_no_answer_fails_saying_how_to_answer(
        services: swarmlab.Lab, hello5: dict[str, int]) -> None:
    failed(check(services, "03.where"), "no answer given", "where = [")
    failed(check(services, "03.where", answer=[]), "an empty list")
    failed(check(services, "03.where", answer=42), "not a list of node names")


def test_where_with_the_right_nodes_passes_as_a_list_a_string_or_counts(
        services: swarmlab.Lab, hello5: dict[str, int]) -> None:
    passed(check(services, "03.where", answer=sorted(hello5)))
    passed(check(services, "03.where", answer=", ".join(hello5)))
    passed(check(services, "03.where", answer=hello5))


def test_read_answer_accepts_lists_strings_and_counts() -> None:
    assert read_answer(["worker1", " worker2 "])[0] == {"worker1": None, "worker2": None}
    assert read_answer("manager1, worker1")[0] == {"manager1": None, "worker1": None}
    assert read_answer({"worker1": 2})[0] == {"worker1": 2}
    assert read_answer({"worker1": True})[0] is None
    assert read_answer(None) == (None, "no answer given")


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


def test_three_managers_as_made_passes(lab02: swarmlab.Lab) -> None:
    passed(check(lab02, "02.three-managers"))


def test_four_managers_fail_and_the_hint_demotes_the_extra_one(lab02: swarmlab.Lab) -> None:
    sh(lab02, "manager1", "docker node promote worker1")
    try:
        failed(check(lab02, "02.three-managers"), "4 managers", "quorum is 3",
               "docker node demote worker1")
    finally:
        sh(lab02, "manager1", "for i in $(seq 1 30); do docker node demote worker1 "
                              ">/dev/null 2>&1 && break; sleep 1; done")
    passed(check(lab02, "02.three-managers"))


def test_recovered_before_any_quorum_loss_fails(lab02: swarmlab.Lab) -> None:
    fresh = swarmlab.connect(LAB02)  # what a restarted kernel would hold
    failed(check(fresh, "02.recovered"), "has not lost its quorum", "02.quorum-lost")


def test_quorum_lost_with_nothing_stopped_fails(lab02: swarmlab.Lab) -> None:
    failed(check(lab02, "02.quorum-lost"), "All 3 managers are running",
           "lab.stop('manager2')", "lab.stop('manager3')")


def test_quorum_lost_with_a_worker_and_one_manager_stopped_fails_naming_both(
        lab02: swarmlab.Lab) -> None:
    lab02.stop("worker1")
    lab02.stop("manager2")
    try:
        res = check(lab02, "02.quorum-lost")
        failed(res, "Only manager2 is stopped", "still a majority",
               "worker1 is a worker", "lab.stop('manager3')")
    finally:
        running_again(lab02)


def test_quorum_loss_and_recovery_fail_on_each_half_done_step(lab02: swarmlab.Lab) -> None:
    lab02.stop("manager2")
    lab02.stop("manager3")
    t0 = time.monotonic()
    lost = check(lab02, "02.quorum-lost")
    passed(lost)
    assert "manager1" in lost.message and time.monotonic() - t0 < 60
    failed(check(lab02, "02.recovered"), "manager2 and manager3 are still powered off",
           "lab.start('manager2')")
    lab02.stop("manager1")  # every manager off: nobody left to show the error
    failed(check(lab02, "02.quorum-lost"), "All 3 managers are powered off", "wait=False")
    lab02.start("manager1", wait=False)
    lab02.start("manager2")  # two of three: the quorum is back, manager3 still off
    failed(check(lab02, "02.recovered"), "manager3 is still powered off",
           "lab.start('manager3')")
    lab02.start("manager3")
    res = check(lab02, "02.recovered")
    passed(res)
    assert "Leader" in res.message


def test_two_managers_fail_and_the_hint_promotes_the_demoted_one(lab02: swarmlab.Lab) -> None:
    # Last: a re-promoted manager needs ~30 s to be Reachable again.
    sh(lab02, "manager1", "docker node demote manager3")
    failed(check(lab02, "02.three-managers"), "2 managers", "manager3 is a worker now",
           "docker node promote manager3")
