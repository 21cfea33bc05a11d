"""Lab 03's checks on snapshots recorded from real clusters."""

from __future__ import annotations

from swarmlab.checks import Status
from tests.unit.evidence import judge

LOGS = {"manager1": {"service logs": "hello world\nhello world\n"}}
SPREAD = {"manager1": 2, "worker1": 1, "worker2": 2}  # lab03-hello, read from the snapshot


# ----- 03.create --------------------------------------------------------------------------
def test_create_passes_for_the_loop_printing_hello_world():
    res = judge("03.create", "lab03-hello", replies=LOGS, replicas=5)
    assert res.passed and "its logs say 'hello world'" in res.message


def test_create_with_a_command_that_does_not_print_hello_world_fails():
    res = judge("03.create", "services", replies=LOGS)  # hello runs `echo hello; sleep 3600`
    assert res.status is Status.FAIL and "not a loop that prints 'hello world'" in res.message
    assert "put the command after the image name" in res.hint


def test_create_under_another_name_is_named():
    res = judge("03.create", "lab03-hello", replies=LOGS, service="hallo")
    assert res.status is Status.FAIL and "There is no service named hallo" in res.message
    assert "docker service rm hello" in res.hint


def test_create_with_the_wrong_replica_count_fails():
    res = judge("03.create", "lab03-hello", replies=LOGS)  # 5 replicas, 3 asked
    assert res.status is Status.FAIL and "asks for 5 replicas, not 3" in res.message


# ----- 03.scale ---------------------------------------------------------------------------
def test_scale_passes_with_five_running_tasks():
    res = judge("03.scale", "lab03-hello")
    assert res.passed and "hello has 5 Running tasks" in res.message


def test_scale_not_done_yet_fails():
    res = judge("03.scale", "services")
    assert res.status is Status.FAIL and "asks for 3 replicas, not 5" in res.message
    assert "docker service scale hello=5" in res.hint


def test_scale_without_the_service_fails():
    res = judge("03.scale", "healthy-1m2w")
    assert res.status is Status.FAIL and "no service named hello" in res.message


# ----- 03.where ---------------------------------------------------------------------------
def test_where_passes_with_the_right_count_on_each_node():
    res = judge("03.where", "lab03-hello", answer=SPREAD)
    assert res.passed and "manager1 (2), worker1 (1), worker2 (2)" in res.message


def test_where_listing_every_node_without_counting_fails():
    res = judge("03.where", "lab03-hello", answer=["manager1", "worker1", "worker2"])
    assert res.status is Status.FAIL and "lists node names only" in res.message
    assert "answer = {'manager1': 2, ...}" in res.hint


def test_where_with_a_miscount_fails():
    res = judge("03.where", "lab03-hello", answer={**SPREAD, "worker1": 2, "worker2": 1})
    assert res.status is Status.FAIL and "worker1 runs 1 task of hello, not 2" in res.message


def test_where_leaving_out_the_manager_says_managers_run_tasks_too():
    res = judge("03.where", "lab03-hello", answer={"worker1": 1, "worker2": 2})
    assert res.status is Status.FAIL and "You left out manager1" in res.message
    assert "a manager is also a worker" in res.message


def test_where_with_a_task_name_instead_of_a_node_fails():
    res = judge("03.where", "lab03-hello", answer={"hello.1": 1})
    assert res.status is Status.FAIL and "hello.1 is a task's name" in res.message


def test_where_as_shipped_with_an_empty_answer_fails():
    res = judge("03.where", "lab03-hello", answer={})
    assert res.status is Status.FAIL and "an empty dict" in res.message


def test_where_naming_a_node_that_runs_no_task_fails_naming_it():
    # api: one task on manager1, one on worker1; worker2 drained
    res = judge("03.where", "viz-unplaced-drain", service="api",
                answer={"manager1": 1, "worker1": 1, "worker2": 1})
    assert res.status is Status.FAIL and res.message == "worker2 runs no task of api."


def test_where_without_an_answer_or_with_a_number_fails_saying_how_to_answer():
    res = judge("03.where", "lab03-hello")
    assert res.status is Status.FAIL and "no answer given" in res.message
    res = judge("03.where", "lab03-hello", answer=42)
    assert res.status is Status.FAIL and "not a dict of node names" in res.message


def test_read_answer_takes_counts_and_refuses_bare_names():
    from swarmlab.checks.lab03 import read_answer

    assert read_answer({" worker1": 2}) == ({"worker1": 2}, "")
    assert read_answer({"worker1": True})[0] is None
    assert read_answer(["worker1"])[0] is None and "names only" in read_answer(["worker1"])[1]
    assert read_answer("manager1, worker1")[0] is None
    assert read_answer(None) == (None, "no answer given")


def test_create_without_any_service_fails_with_the_full_command():
    res = judge("03.create", "healthy-1m2w")
    assert res.status is Status.FAIL and res.message == "There is no service named hello yet."
    assert "docker service create --name hello --replicas 3" in res.hint
