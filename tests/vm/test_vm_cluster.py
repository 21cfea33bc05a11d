"""Two qemu VMs with Debian's kernel: the routing mesh and VIPs work for real here.

One cluster for the whole module (TCG is slow and CPU is shared); 1 vCPU per VM. Two
VMs, not three: what only VMs show (a real kernel's IPVS, the qemu machines' life)
needs a node with a task and one without; three-node swarms are the dind tiers' work.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import pytest
import yaml

import swarmlab
from swarmlab.images.vm import tools_missing
from swarmlab.providers.ssh import SshProvider
from swarmlab.providers.vm import VmProvider, labs_dir, monitor
from tests.conftest import answered_status, lab_name

pytestmark = [
    pytest.mark.vm,
    pytest.mark.skipif(bool(tools_missing()), reason=f"VM tools missing: {tools_missing()} "
                       "(the kit's install step installs them)"),
]
LAB = lab_name("hvm")  # $SWARMLAB_TEST_PREFIX and a per-run suffix: never another run's lab


def wait_for(what, fn, timeout=180.0, interval=2.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture(scope="module")
def vmlab():
    prov = VmProvider()
    lab = swarmlab.Lab.up(LAB, 1, 1, provider_obj=prov, recreate=True)
    yield lab
    lab.down()
    assert not (labs_dir() / LAB).exists()
    left = subprocess.run(["pgrep", "-f", f"swarmlab/vm/labs/{LAB}/"], capture_output=True)
    assert left.stdout == b"", "a qemu or vde_switch process of the lab outlived down"


DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy between


def http_get(url: str) -> str:
    with DIRECT.open(url, timeout=30) as r:
        assert r.status == 200
        return str(r.read().decode())


def running_on(manager, service):
    out = manager.run(f"docker service ps {service} --filter desired-state=running "
                      "--format '{{.Node}} {{.CurrentState}}'").stdout.splitlines()
    return [ln.split()[0] for ln in out if " Running" in f" {ln}"]


def test_two_vms_form_a_swarm_on_the_private_network(vmlab):
    rows = answered_status(vmlab)
    assert {r["status"] for r in rows.values()} == {"Ready"}
    for node in vmlab.nodes:
        assert node.address.startswith("192.168.77.")
        assert node.run("docker info -f '{{.Swarm.NodeAddr}}'").check().stdout.strip() == node.address
        assert node.run("uname -r").check().stdout.strip().endswith("cloud-amd64")


def test_the_routing_mesh_answers_on_a_node_without_a_task(vmlab):
    m = vmlab.node("manager1")
    # No health checks: under TCG a `runc exec` every 3 s is a large share of one vCPU.
    m.run("docker service create -d --name mesh --replicas 1 --publish 8080:80 "
          "--no-healthcheck --constraint node.hostname==worker1 swarmlab/web:v1").check()
    wait_for("the mesh task to run", lambda: running_on(m, "mesh") == ["worker1"])
    page = wait_for("port 8080 on manager1", lambda: m.run(  # manager1 runs no task of mesh
        "curl -s -m 5 http://127.0.0.1:8080/").stdout, timeout=60)
    assert "Hostname:" in page and "Version: v1" in page
    other = vmlab.node("worker1").run(f"curl -s -m 5 http://{m.address}:8080/").check().stdout
    assert "Version: v1" in other
    # From this machine: manager1's port 8080 through a forward on 127.0.0.1 (the mesh
    # inside the VM then carries it to worker1's task).
    url = vmlab.url(8080, node="manager1")
    assert url.startswith("http://127.0.0.1:")
    assert "Version: v1" in http_get(url)


def test_vip_discovery_and_load_balancing_on_an_overlay(vmlab):
    m = vmlab.node("manager1")
    m.run("docker network create -d overlay --attachable hvm-net").check()
    # One task on each VM: requests to the VIP cross the overlay between the two kernels.
    m.run("docker service create -d --name vipweb --replicas 2 --network hvm-net "
          "--no-healthcheck --replicas-max-per-node 1 "
          "--publish mode=host,published=8090,target=80 swarmlab/web:v1").check()
    wait_for("two vipweb tasks", lambda: len(running_on(m, "vipweb")) == 2)
    vip = m.run("docker service inspect -f '{{range .Endpoint.VirtualIPs}}{{.Addr}} {{end}}' "
                "vipweb").check().stdout.split()[0].split("/")[0]
    probe = ("docker run --rm --network hvm-net swarmlab/tools sh -c "
             "'nslookup vipweb; for i in 1 2 3 4 5 6; do timeout 5 wget -qO- http://vipweb/; done'")
    out = m.run(probe, timeout=300).check().stdout
    assert vip in out, "the service name resolves to its VIP"
    hosts = {ln.split()[1] for ln in out.splitlines() if ln.startswith("Hostname:")}
    assert len(hosts) == 2, f"the VIP spreads requests over both tasks: {out}"
    # Host mode, from this machine: worker1's own task answers at the printed address.
    page = http_get(vmlab.url(8090, node="worker1"))
    mine = vmlab.node("worker1").run("docker ps -q --filter "
                                     "label=com.docker.swarm.service.name=vipweb").check()
    assert f"Hostname: {mine.stdout.strip()}" in page


def test_the_networks_lab_mesh_check_passes(vmlab):
    from swarmlab.checks import list_checks

    if not any(c.id == "08.mesh" for c in list_checks()):
        pytest.skip("check 08.mesh is not written yet (the networks lab)")
    assert vmlab.check("08.mesh").status.name == "PASS"


def test_a_powered_off_vm_goes_down_and_comes_back(vmlab):
    t = time.monotonic()
    kept = vmlab.provider.reach(LAB, "worker1", 8090)[1]  # made by the test above, or now
    vmlab.stop("worker1")
    assert vmlab.provider.states(LAB)["worker1"] == "exited"
    m = vmlab.node("manager1")
    wait_for("worker1 Down", lambda: "worker1 Down" in m.run(
        "docker node ls --format '{{.Hostname}} {{.Status}}'").stdout, timeout=90)
    vmlab.start("worker1", timeout=240)
    rows = answered_status(vmlab)
    assert rows["worker1"]["status"] == "Ready"
    # The forward made for worker1's port 8090 came back with the VM, on the same port.
    d = labs_dir() / LAB
    assert json.loads((d / "worker1.json").read_text())["forwards"]["8090"] == kept
    assert monitor.live_forwards(monitor.hmp(d / "worker1.mon", "info usernet"))[kept] == 8090
    print(f"worker1 off and on again in {time.monotonic() - t:.0f}s")


def test_the_ssh_provider_runs_the_same_vms_from_an_inventory(vmlab, tmp_path):
    from swarmlab.keys import lab_key

    key, _ = lab_key(LAB)
    hosts = [{"name": n.name, "address": "127.0.0.1", "port": n.transport.port}  # type: ignore[attr-defined]
             for n in vmlab.nodes]
    inv = tmp_path / "vms.yaml"
    inv.write_text(yaml.safe_dump({"defaults": {"key": str(key)}, "hosts": hosts}))
    lab = swarmlab.Lab.up(lab_name("hvm-inv"), 1, 1, provider_obj=SshProvider(inv), quiet=True)
    try:
        # Reached through 127.0.0.1 forwards: the kit must pick eth1, not the NAT eth0.
        assert [n.address for n in lab.nodes] == [n.address for n in vmlab.nodes]
        res = lab.check("01.init")
        assert res.status.name == "PASS", str(res)
        assert {n.hostname for n in lab.snapshot().nodes} == {"manager1", "worker1"}
    finally:
        lab.down(quiet=True)  # leaves the swarm on the VMs: keep this test last
