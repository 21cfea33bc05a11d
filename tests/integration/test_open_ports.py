"""A published port opened from this machine (`lab.url`, `swarmlab open`), on a real dind
cluster: the page answers over HTTP at the printed address, and the wrong asks are
refused with the fix. (The routing mesh needs IPVS, which this CI host lacks: host mode
here; tests/vm opens both on VMs.)"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

from swarmlab.errors import SpecError
from tests.integration.conftest import module_lab, shared_name

lab = module_lab()
CLI = [sys.executable, "-m", "swarmlab.cli"]


def running_on(lab, service: str) -> list[str]:
    out = lab.node("manager1").run(
        f"docker service ps {service} --filter desired-state=running "
        "--format '{{.Node}} {{.CurrentState}}'").stdout.splitlines()
    return sorted(ln.split()[0] for ln in out if " Running" in f" {ln}")


@pytest.fixture(scope="module")
def published(lab):
    m = lab.node("manager1")
    m.run("docker service create -d --name hostweb --mode global --no-healthcheck "
          "--publish mode=host,published=8081,target=80 swarmlab/web:v1").check()
    m.run("docker service create -d --name one --replicas 1 --no-healthcheck "
          "--constraint node.hostname==worker2 "
          "--publish mode=host,published=8082,target=80 swarmlab/web:v1").check()
    deadline = time.monotonic() + 90
    while (running_on(lab, "hostweb"), running_on(lab, "one")) != (
            ["manager1", "worker1", "worker2"], ["worker2"]):
        assert time.monotonic() < deadline, "the services' tasks did not run"
        time.sleep(1)
    yield lab
    m.run("docker service rm hostweb one")


DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy in between


def get(url: str) -> tuple[int, str]:
    with DIRECT.open(url, timeout=10) as r:
        return r.status, r.read().decode()


def test_a_host_mode_port_answers_from_this_machine_at_the_printed_address(published):
    url = published.url(8081, node="worker1")
    address = published.node("worker1").address
    assert url == f"http://{address}:8081/"
    status, page = get(url)
    assert status == 200 and "Version: v1" in page
    task = published.node("worker1").run(
        "docker ps -q --filter label=com.docker.swarm.service.name=hostweb").check().stdout
    assert f"Hostname: {task.strip()}" in page  # worker1's own task answered


def test_without_a_node_the_one_running_the_task_is_asked(published):
    url = published.url(8082)
    assert url == f"http://{published.node('worker2').address}:8082/"
    assert get(url)[0] == 200
    with pytest.raises(SpecError, match=r"only the nodes running its tasks open it \(worker2\)"):
        published.url(8082, node="manager1")


def test_a_port_nothing_publishes_is_refused_with_how_to_publish_it(published):
    with pytest.raises(SpecError, match="--publish published=8099,target=80"):
        published.url(8099)


def test_swarmlab_open_prints_the_address(published):
    res = subprocess.run([*CLI, "open", "8081", "--name", shared_name(), "--node", "worker2"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"http://{published.node('worker2').address}:8081/"
    gone = subprocess.run([*CLI, "open", "8081", "--name", "vp-no-such-lab"],
                          capture_output=True, text=True, timeout=120)
    assert gone.returncode == 1 and "swarmlab up --name vp-no-such-lab" in gone.stderr
