"""Lab 12's checks on snapshots recorded from a real cluster (tests/fixtures/record_lab12_13.py),
their probes (registry answers, image lists) replayed as the real nodes gave them."""

from __future__ import annotations

import copy
from typing import Any

from swarmlab.checks import CheckResult, Status
from swarmlab.checks.lab12 import from_registry
from swarmlab.checks.services import failures_of_this_spec, in_motion
from swarmlab.state import Snapshot
from tests.fixtures.recorded import replayed
from tests.unit.evidence import edited, judge, on_snapshot, replay


def check(check_id: str, snap: str) -> CheckResult:
    if snap == "healthy-1m2w":  # lab 12's starting state: no probe gets that far
        return judge(check_id, snap, settle_s=0)
    return replay(check_id, snap, settle_s=0)


# ----- 12.local -----------------------------------------------------------------------------
def test_local_passes_when_the_workers_rejected_the_local_image():
    res = check("12.local", "hello-local-registry-mesh")
    assert res.passed and "No such image" in res.message and "worker1" in res.message


def test_local_with_the_service_already_from_the_registry_fails():
    res = check("12.local", "hello-from-registry")
    assert res.status is Status.FAIL and "from a registry" in res.message
    assert "docker service rm hello" in res.hint


def test_local_as_shipped_without_the_service_fails():
    res = check("12.local", "healthy-1m2w")
    assert res.status is Status.FAIL and "no service named hello" in res.message


# ----- 12.registry --------------------------------------------------------------------------
def test_registry_passes_on_manager1_in_host_mode_answering_everywhere():
    res = check("12.registry", "hello-from-registry")
    assert res.passed and "answers at registry.lab:5000 from every node" in res.message


def test_registry_published_through_the_routing_mesh_fails():
    res = check("12.registry", "hello-local-registry-mesh")
    assert res.status is Status.FAIL and "routing mesh (ingress)" in res.message
    assert "mode=host,published=5000,target=5000" in res.hint


def test_registry_missing_fails_with_the_command():
    res = check("12.registry", "healthy-1m2w")
    assert res.status is Status.FAIL and "no service named registry" in res.message
    assert "--constraint node.hostname==manager1" in res.hint


# ----- 12.from-registry ---------------------------------------------------------------------
def test_from_registry_passes_with_every_node_holding_the_pulled_image():
    res = check("12.from-registry", "hello-from-registry")
    assert res.passed and "each of these nodes pulled the image" in res.message


def test_from_registry_with_the_local_only_image_fails():
    res = check("12.from-registry", "hello-local-registry-mesh")
    assert res.status is Status.FAIL and "still runs hello:v1" in res.message
    assert "docker push registry.lab:5000/hello:v1" in res.hint


def test_from_registry_pushed_but_the_service_not_updated_fails():
    res = check("12.from-registry", "hello-pushed-not-updated")
    assert res.status is Status.FAIL and "still runs hello:v1" in res.message
    assert "the image is in the registry, but the service was not told" in res.hint


def test_from_registry_pinned_onto_one_node_fails():
    res = check("12.from-registry", "hello-pinned-on-worker1")
    assert res.status is Status.FAIL and "All 3 tasks run on worker1" in res.message
    assert "--constraint-rm 'node.hostname==worker1'" in res.hint


def test_an_image_name_names_a_registry_only_with_a_host_part():
    assert from_registry("registry.lab:5000/hello:v1") and from_registry("localhost/x")
    assert not from_registry("hello:v1") and not from_registry("swarmlab/web:v1")


def _hello_and_new_tasks(raw: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """In the raw answers of "hello-from-registry": the hello service and its three
    running tasks (those of the registry's image)."""
    hello = next(s for s in raw["services"]["body"] if s["Spec"]["Name"] == "hello")
    return hello, [t for t in raw["tasks"]["body"]
                   if t["ServiceID"] == hello["ID"] and t["Status"]["State"] == "running"]


def _mid_update(state: str, update: str) -> CheckResult:
    """12.from-registry on the recorded PASS state, turned back to a moment of the update:
    its status ``update``, one new task still ``state`` (``Image`` the old one if
    "running", as a slot not yet replaced)."""
    def back(raw: dict[str, Any]) -> None:
        hello, new = _hello_and_new_tasks(raw)
        hello["UpdateStatus"] = {**hello["UpdateStatus"], "State": update}
        task = new[0]
        if state == "running":
            task["Spec"]["ContainerSpec"]["Image"] = "hello:v1"
        task["Status"]["State"] = state

    return on_snapshot("12.from-registry", edited("hello-from-registry", back),
                       replayed("hello-from-registry"), settle_s=0, update_s=0)


def test_from_registry_while_the_update_still_rolls_out_says_so():
    """The recorded update took 18 s; under load it takes longer than the check's wait: the
    verdict names the update in progress, not the old tasks' missing image."""
    res = _mid_update("running", "updating")
    assert res.status is Status.FAIL
    assert "still rolling out: 2 of 3 tasks run it" in res.message
    assert "check again" in res.hint and "docker service ps hello" in res.hint


def test_from_registry_while_a_new_task_still_pulls_says_so():
    """The many rejected tasks of the local image do not make a new task that is still
    pulling look settled."""
    res = _mid_update("preparing", "completed")
    assert res.status is Status.FAIL
    assert "still rolling out: 2 of 3 tasks run it" in res.message


def test_from_registry_with_a_task_no_node_can_take_is_not_called_a_rollout():
    """A Pending task (a constraint no node meets) is not waited for as a pull."""
    res = _mid_update("pending", "completed")
    assert res.status is Status.FAIL and "still rolling out" not in res.message
    assert "2 of 3 tasks of hello are Running" in res.message


# ----- services.in_motion after a fix: failures of the earlier spec do not count -----------
def _registry_tasks(state: str, tries: int = 1) -> Snapshot:
    """The recorded update from the local image to the registry's, the three new tasks set
    to ``state`` (the eight rejected tasks of the local image left as they were); with
    ``tries`` > 1, each new task was rejected that many times in all."""
    def change(raw: dict[str, Any]) -> None:
        for t in _hello_and_new_tasks(raw)[1]:
            t["Status"]["State"] = state
            for n in range(1, tries):
                raw["tasks"]["body"].append(copy.deepcopy(t) | {"ID": f"{t['ID']}-{n}"})
        if state == "rejected":
            for t in raw["tasks"]["body"]:
                t["DesiredState"] = "shutdown"

    return edited("hello-from-registry", change)


def test_new_tasks_still_starting_are_in_motion_despite_the_old_specs_failures():
    snap = _registry_tasks("preparing")
    assert len([t for t in snap.tasks_of("hello", running=False) if t.state == "rejected"]) == 8
    assert failures_of_this_spec(snap, "hello") == []
    assert in_motion(snap, "hello")  # 8 >= 2 x 3 replicas called it settled before


def test_the_fixed_specs_own_failures_still_end_the_wait():
    snap = _registry_tasks("rejected", tries=2)
    assert len(failures_of_this_spec(snap, "hello")) == 6
    assert not in_motion(snap, "hello")  # every try of the new spec fails too


def test_without_an_update_every_failure_is_of_this_spec():
    snap = edited("hello-local-registry-mesh", lambda raw: None)
    failed = [t for t in snap.tasks_of("hello", running=False) if t.state == "rejected"]
    assert snap.service("hello").update_status is None and failed
    assert failures_of_this_spec(snap, "hello") == failed
