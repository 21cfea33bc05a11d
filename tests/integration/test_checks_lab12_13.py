"""Checks of labs 12 and 13 on a real cluster: each PASSes on the right state, and the
learner mistakes the labs name FAIL with a hint that names them."""

from __future__ import annotations

from typing import Any

import pytest

import swarmlab
from swarmlab.checks import CheckResult
from swarmlab.lab_registry import prepare_registry
from tests.integration.conftest import check as shared_check
from tests.integration.conftest import fails, module_lab, passes, shared_name

LAB = shared_name()
REG = "registry.lab:5000/hello:v1"

pytestmark = pytest.mark.integration

lab = module_lab(lab_id="12")


def sh(lab: swarmlab.Lab, script: str, node: str = "manager1", timeout: float = 180) -> str:
    res = lab.node(node).run(script, timeout=timeout)
    assert res.ok, f"{script}\n{res.stdout}\n{res.stderr}"
    return str(res.stdout)


def check(lab: swarmlab.Lab, check_id: str, **params: Any) -> CheckResult:
    return shared_check(lab, check_id, **{"settle_s": 20, **params})


# ----- 12 --------------------------------------------------------------------------------
def test_registry_lab_local_image_mesh_registry_forgotten_update_and_pinning(
        lab: swarmlab.Lab) -> None:
    lab = swarmlab.start_lab("12", name=LAB, quiet=True)
    prepare_registry(lab)
    sh(lab, "printf 'FROM swarmlab/web:v1\\nENV VERSION=hello-v1\\n' | docker build -q -t "
            "hello:v1 - && docker service create -d -q --name hello --replicas 3 hello:v1")
    passes(check(lab, "12.local"))
    fails(check(lab, "12.from-registry"), "still runs hello:v1", f"docker push {REG}")
    sh(lab, "docker service create -d -q --name registry --constraint node.hostname==manager1 "
            "--publish 5000:5000 swarmlab/registry")
    fails(check(lab, "12.registry"), "routing mesh (ingress)", "mode=host")
    sh(lab, "docker service rm registry && sleep 2 && docker service create -q --name registry "
            "--constraint node.hostname==manager1 --publish mode=host,published=5000,target=5000"
            f" swarmlab/registry && docker tag hello:v1 {REG} && docker push -q {REG}")
    passes(check(lab, "12.registry"))
    fails(check(lab, "12.from-registry"), "the service was not told",
          f"--image {REG} hello")
    sh(lab, f"docker service update -q --image {REG} hello")
    passes(check(lab, "12.from-registry"))
    fails(check(lab, "12.local"), "from a registry")
    sh(lab, "docker service update -q --constraint-add node.hostname==worker2 hello")
    fails(check(lab, "12.from-registry"), "All 3 tasks run on worker2", "--constraint-rm")


# ----- 13 --------------------------------------------------------------------------------
def test_health_and_update_orders_with_the_client_s_tally_and_an_automatic_rollback(
        lab: swarmlab.Lab) -> None:
    from swarmlab.checks.lab13 import CLIENT_LOOP, HEALTH_CMD

    lab = swarmlab.start_lab("13", name=LAB, quiet=True)
    reset = ("docker exec $(docker ps -q -f label=com.docker.swarm.service.name=client) "
             "touch /tmp/reset && sleep 1 && ")
    sh(lab, "docker network create --driver overlay --attachable appnet && docker service "
            "create -q --name client --network appnet --constraint node.hostname==manager1 "
            f"swarmlab/tools sh -c '{CLIENT_LOOP}'")
    sh(lab, "docker service create -q --name web --network appnet --endpoint-mode dnsrr "
            "swarmlab/web:v1")
    fails(check(lab, "13.health"), "keeps the image's HEALTHCHECK", "--health-cmd")
    sh(lab, f"docker service update -q --health-cmd '{HEALTH_CMD}' --health-interval 2s web")
    passes(check(lab, "13.health"))
    sh(lab, "docker service update -q --update-order start-first --image swarmlab/web:v2 web")
    fails(check(lab, "13.stop-first"), "order is start-first, not stop-first")
    sh(lab, reset + "docker service update -q --update-order stop-first --image "
            "swarmlab/web:v1 web")
    fails(check(lab, "13.start-first"), "order is stop-first, not start-first")
    sh(lab, reset + "docker service update -q --update-order stop-first --image "
            "swarmlab/web:v2 web")
    stopped = check(lab, "13.stop-first")
    passes(stopped)
    sh(lab, reset + "docker service update -q --update-order start-first --image "
            "swarmlab/web:v1 web")
    started = check(lab, "13.start-first")
    passes(started)
    print(f"failed requests: stop-first {stopped.details['failed']} of "
          f"{stopped.details['failed'] + stopped.details['ok']}, start-first "
          f"{started.details['failed']} of {started.details['ok']}")
    sh(lab, "docker service update -d --update-failure-action pause --image "
            "swarmlab/web:broken web")
    fails(check(lab, "13.auto-rollback"), "failure action is pause")
    sh(lab, "docker service rollback -q web && docker service update -d "
            "--update-failure-action rollback --update-monitor 5s --update-max-failure-ratio 0 "
            "--image swarmlab/web:broken web")
    passes(check(lab, "13.auto-rollback", settle_s=90))
