"""Where learners are: a stock Linux host with cgroup v2, systemd and ``--privileged``
(Debian trixie, Docker 26), in a VM. Inside it, what a learner runs: the README's set-up
(done by the ``guest`` fixture), ``swarmlab up`` with the default dind provider (1+2),
the node checks of the privileged and cgroup v2 paths, ``swarmlab doctor``, lab 00's
notebook both ways on that cluster (its ``start_lab`` resets it), ``swarmlab down``.

Tests run in file order on one guest (TCG is slow; the guest is made once)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from swarmlab.images.vm import tools_missing
from tests.hostvm import guest as g

pytestmark = [
    pytest.mark.hostvm,
    pytest.mark.timeout(3600),  # the first run builds the image and sets the guest up
    pytest.mark.skipif(bool(tools_missing()), reason=f"VM tools missing: {tools_missing()} "
                       "(test.sh installs them)"),
]
LAB = "nb-hv"  # inside the guest: no other lab there (nb...: the notebook harness's)
NODE = f"swarmlab-{LAB}-{{}}"
RECORD_ENV = "SWARMLAB_HOSTVM_RECORD"  # 1: write the lab08-mesh-ipvs fixture into tests/


def test_the_readme_set_up_ran_offline_on_a_cgroup_v2_host(guest: g.Guest) -> None:
    facts = guest.run("python3 -c 'import sys; print(*sys.version_info[:2])'; "
                      "stat -fc %T /sys/fs/cgroup; docker version -f '{{.Server.Version}}'; "
                      "ps -p 1 -o comm=").check().stdout.split("\n")
    assert facts[:2] == ["3 13", "cgroup2fs"], facts
    assert facts[2].startswith("26."), f"Docker {facts[2]} (trixie's docker.io is 26)"
    assert facts[3] == "systemd"
    images = guest.kit("images ls").check().stdout
    assert images.count("current") == 8 and "outdated" not in images, images


def test_swarmlab_up_makes_a_ready_1_plus_2_swarm(guest: g.Guest) -> None:
    up = guest.kit(f"up -n {LAB}", timeout=1200, name="swarmlab up (1+2) to Ready")
    if not up.ok:  # what the guest saw (up removed its nodes): OOM kills, engine's own log
        guest.run("dmesg | tail -n 40; journalctl -u docker --no-pager -n 80 --since -15min",
                  timeout=120)
    up.check()
    assert "Exception ignored" not in up.stderr, up.stderr  # Python 3.13 at exit (exec.py)
    for _ in range(6):  # under TCG, `docker node ls` may miss status's 10 s: then "-"
        rows = [ln.split() for ln in guest.kit(f"status -n {LAB}").check().stdout.splitlines()]
        ready = sorted(r[0] for r in rows if "Ready" in r)
        if ready == ["manager1", "worker1", "worker2"]:
            return
        time.sleep(5)
    raise AssertionError(f"not every node Ready: {rows}")


def test_nodes_run_privileged(guest: g.Guest) -> None:
    for node in ("manager1", "worker1", "worker2"):
        out = guest.run("docker inspect -f '{{.HostConfig.Privileged}} "
                        "{{.HostConfig.CgroupnsMode}}' " + NODE.format(node)).check().stdout
        assert out.split() == ["true", "private"], f"{node}: {out}"


def test_the_entrypoint_took_the_cgroup_v2_path(guest: g.Guest) -> None:
    m1 = NODE.format("manager1")
    logs = guest.run(f"docker logs {m1} 2>&1 | grep swarmlab-node").stdout
    assert "cannot delegate controllers" not in logs and "stays as mounted" not in logs, logs
    inside = guest.run(f"docker exec {m1} sh -c 'cat /sys/fs/cgroup/cgroup.subtree_control; "
                       "wc -l < /sys/fs/cgroup/init/cgroup.procs; "
                       "docker info -f {{.CgroupVersion}}'").check().stdout.split("\n")
    assert {"cpu", "memory", "pids"} <= set(inside[0].split()), inside
    assert int(inside[1]) >= 1, "the entrypoint moved the node's processes to init/"
    assert inside[2] == "2"
    # The node's own containers start, and a memory limit applies to them.
    limit = guest.run(f"docker exec {NODE.format('worker1')} docker run --rm --memory 48m "
                      "swarmlab/tools cat /sys/fs/cgroup/memory.max", timeout=300).check()
    assert limit.stdout.strip() == str(48 * 1024 * 1024)


def test_the_routing_mesh_passes_08_mesh_where_the_kernel_has_ipvs(guest: g.Guest) -> None:
    out = guest.run(f"cd {g.CHECKOUT} && .venv/bin/python -m tests.fixtures.record_lab08_ipvs "
                    f"{LAB}", timeout=900).check().stdout
    assert "judged lab08-mesh-ipvs: [PASS] 08.mesh" in out, out
    if os.environ.get(RECORD_ENV) == "1":
        fixtures = Path(__file__).resolve().parents[1] / "fixtures"
        for kind in ("snapshots", "probes"):
            text = guest.run(f"cat {g.CHECKOUT}/tests/fixtures/{kind}/lab08-mesh-ipvs.json",
                             echo=False).check().stdout
            (fixtures / kind / "lab08-mesh-ipvs.json").write_text(text)


def test_doctor_passes_and_names_this_kind_of_host(guest: g.Guest) -> None:
    res = guest.kit(f"doctor -n {LAB}", timeout=900, name="swarmlab doctor")
    out = res.stdout
    assert res.ok and "FAIL" not in out, out
    assert "Exception ignored" not in res.stderr, res.stderr
    assert "nodes run with --privileged" in out and "v2 (unified" in out, out
    assert "rootful engine" in out and "Linux (Debian GNU/Linux" in out, out


def test_lab_00_fails_as_shipped_and_passes_with_its_solutions(guest: g.Guest) -> None:
    """On the cluster ``swarmlab up`` made, as a learner opens lab 00 after it: the
    notebook's ``start_lab("00")`` resets what the tests before left there."""
    res = guest.timed("lab 00 notebook both ways",
                      f"cd {g.CHECKOUT} && .venv/bin/python -m tests.notebooks.harness "
                      f"00-welcome {LAB}", timeout=2400)
    # Each run's time and slowest cells, kept with the tier's figures (last-figures.json).
    guest.figures["lab 00 runs"] = " | ".join(
        line.strip() for line in res.stdout.splitlines()
        if line.startswith("[notebook]") or "slowest:" in line)
    assert res.ok and "00-welcome: both ways as expected" in res.stdout, res.stdout[-3000:]


def test_swarmlab_down_removes_the_lab(guest: g.Guest) -> None:
    guest.kit(f"down -n {LAB}", timeout=600, name="swarmlab down").check()
    left = guest.run("docker ps -aq --filter label=io.swarmlab.lab; docker network ls -q "
                     "--filter label=io.swarmlab.lab; docker volume ls -q --filter "
                     "label=io.swarmlab.lab").check().stdout
    assert left.strip() == ""
