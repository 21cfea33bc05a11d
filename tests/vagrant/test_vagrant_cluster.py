"""A real `vagrant up` of the kit's Vagrantfile: vagrant-libvirt, qemu TCG, the offline box.

One cluster for the module (TCG is slow and the CPU is shared). The CI-only settings live
in ``ci-libvirt-tcg.rb`` (loaded through SWARMLAB_VAGRANT_OVERRIDE) and libvirtd is
started by ``libvirt-host.sh``; the Vagrantfile a learner uses is the one in ``vagrant/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import swarmlab
from swarmlab.cli import main
from swarmlab.images import box
from swarmlab.images.vm import tools_missing
from swarmlab.paths import cache_root
from swarmlab.providers.vagrant import VagrantProvider
from tests.conftest import answered_status, free_ports, lab_name
from tests.vagrant.conftest import VIRSH

HERE = Path(__file__).parent
REPO = HERE.parents[1]
LAB = lab_name("nbvag")
NEEDED = ("vagrant", "libvirtd", "virtlogd", "virsh", "vde_switch")
missing = [t for t in NEEDED if not shutil.which(t, path="/usr/sbin:/usr/bin:/sbin:/bin")]
# How vagrant-libvirt names a box's disk in the pool (then <version>_<file>), the box's
# "/" spelled -VAGRANTSLASH-.
BOX_VOLUMES = f"{box.BOX_NAME.replace('/', '-VAGRANTSLASH-')}_vagrant_box_image_"

pytestmark = [
    pytest.mark.vagrant,
    pytest.mark.skipif(bool(missing or tools_missing()),
                       reason=f"Vagrant tier needs {missing + tools_missing()} "
                              "(test.sh installs them as root on Debian)"),
]


def listeners() -> dict[int, list[str]]:
    """TCP port -> addresses listening on it, from /proc/net/tcp{,6} (no tools needed)."""
    found: dict[int, list[str]] = {}
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":  # LISTEN
                continue
            addr_hex, port_hex = fields[1].split(":")
            if len(addr_hex) == 8:
                addr = socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr_hex)[::-1])
            else:
                raw = b"".join(bytes.fromhex(addr_hex[i:i + 8])[::-1] for i in range(0, 32, 8))
                addr = socket.inet_ntop(socket.AF_INET6, raw)
            found.setdefault(int(port_hex, 16), []).append(addr)
    return found


def virsh(*args: str) -> str:
    return subprocess.run([*VIRSH, *args], capture_output=True, text=True, check=True).stdout


def box_pool() -> Path:
    """The storage pool's folder, kept between runs: vagrant-libvirt uploads the box's disk
    (560 MB, in 250 KB writes) into the pool only when the pool lacks a volume of that box
    version, and the version comes from the image recipe. An older version's disk is
    removed first, and so are VM disks nothing wrote to for 6 hours (a crashed run's; a
    running VM writes its disk all the time)."""
    pool = cache_root() / "vagrant-pool"
    pool.mkdir(parents=True, exist_ok=True)
    for f in pool.iterdir():
        if f.name.startswith(BOX_VOLUMES):
            stale = not f.name.startswith(f"{BOX_VOLUMES}{box.box_version()}_")
        else:
            stale = time.time() - f.stat().st_mtime > 6 * 3600
        if stale:
            f.unlink()
    return pool


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """libvirtd, a VDE switch and the environment the override reads; all gone after."""
    work = tmp_path_factory.mktemp("vagrant")
    state, pool = work / "libvirt", box_pool()
    script = str(HERE / "libvirt-host.sh")
    started = subprocess.run(["bash", script, "start", str(state)], capture_output=True,
                             text=True)
    assert started.returncode == 0, started.stdout + started.stderr
    ours = "already answers" not in started.stdout
    switch, consoles = work / "switch", work / "consoles"
    consoles.mkdir()
    subprocess.run(["vde_switch", "--sock", str(switch), "--daemon",
                    "--pidfile", str(work / "switch.pid")], check=True)
    env = {
        "SWARMLAB_VAGRANT_OVERRIDE": str(HERE / "ci-libvirt-tcg.rb"),
        "SWARMLAB_CI_PORT_BASE": str(free_ports(3, copies=(0, 100))),
        "SWARMLAB_CI_VDE": str(switch),
        "SWARMLAB_CI_POOL": str(pool),
        "SWARMLAB_CI_CONSOLES": str(consoles),
        "SWARMLAB_BOX": box.BOX_NAME,
        "VAGRANT_DEFAULT_PROVIDER": "libvirt",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        subprocess.run(["pkill", "-F", str(work / "switch.pid")], check=False)
        if "default" in virsh("pool-list", "--all", "--name").split():
            # Only what this test put there: a libvirtd that was already running may hold
            # other people's disks in its default pool.
            table = virsh("vol-list", "default").splitlines()[2:]  # below the header
            for vol in (row.split()[0] for row in table if row.split()):
                # In our own pool (box_pool) the box's volume stays for the next run.
                if vol.startswith(f"swarmlab-{LAB}-") or (
                        not ours and vol.startswith(BOX_VOLUMES)):
                    subprocess.run([*VIRSH, "vol-delete", vol, "--pool", "default"],
                                   check=False, capture_output=True)
            if ours:  # the pool vagrant-libvirt defined on box_pool()'s folder
                subprocess.run([*VIRSH, "pool-destroy", "default"], check=False,
                               capture_output=True)
                subprocess.run([*VIRSH, "pool-undefine", "default"], check=False,
                               capture_output=True)
        if ours:
            subprocess.run(["bash", script, "stop", str(state)], check=False)


@pytest.fixture(scope="module")
def vlab(host):
    lab = swarmlab.Lab.up(LAB, 1, 2, provider="vagrant", recreate=True)
    yield lab
    lab.down()
    domains = virsh("list", "--all", "--name").split()
    assert not [d for d in domains if d.startswith(f"swarmlab-{LAB}-")], domains
    assert not (cache_root() / "vagrant" / LAB).exists()
    assert not (cache_root() / "ssh" / LAB).exists()


def test_vagrant_up_forms_a_swarm_on_the_private_network(vlab):
    assert vlab.provider.name == "vagrant"
    rows = answered_status(vlab)
    assert set(rows) == {"manager1", "worker1", "worker2"}
    assert {r["status"] for r in rows.values()} == {"Ready"}
    want = {"manager1": "192.168.56.11", "worker1": "192.168.56.101",
            "worker2": "192.168.56.102"}
    for node in vlab.nodes:
        assert node.address == want[node.name]
        info = node.run("docker info -f '{{.Swarm.NodeAddr}}'").check().stdout.strip()
        assert info == want[node.name]  # the private network, never the NAT address
        # The name resolves (127.0.1.1), so Vagrant found it set and restarted no interface.
        assert node.run("hostname; hostname -f").check().stdout.split() == [node.name] * 2


def test_each_vm_carries_the_lab_label_and_ssh_listens_on_loopback_only(vlab, host):
    for node in vlab.nodes:
        domain = f"swarmlab-{LAB}-{node.name}"
        assert f"io.swarmlab.lab={LAB}" in virsh("desc", domain)
    base = int(host["SWARMLAB_CI_PORT_BASE"])
    listening = listeners()
    for port in (base, base + 1, base + 2):
        assert listening.get(port) == ["127.0.0.1"], listening.get(port)
    # Vagrant replaced its well-known key with one of its own for each VM.
    rec = VagrantProvider()._read(LAB)
    for h in rec["hosts"]:
        assert h["key"].endswith("private_key") and LAB in h["key"]


def test_connect_and_ls_find_the_vagrant_lab(vlab):
    again = swarmlab.Lab.connect(LAB)
    assert again.provider.name == "vagrant" and again.node_names == vlab.node_names
    res = CliRunner().invoke(main, ["ls"])
    assert f"{LAB}\tvagrant" in res.output


def test_lab03_notebook_runs_on_the_vagrant_cluster(vlab):
    """With its solutions, every check PASSes on Vagrant VMs. (That each check FAILs as
    shipped does not depend on the provider: the notebooks tier runs that way, once.)"""
    from tests.notebooks.harness import LABS, both_ways

    found = both_ways(LABS / "03-services.ipynb", LAB, modes=("solutions",), cell_timeout=900)
    assert not found, "\n".join(found)


def test_a_halted_and_a_destroyed_node_come_back_with_one_up(vlab, capsys):
    """A learner halts worker2 (``lab.stop``) and destroys worker1 by hand; one ``up``
    boots both in one ``vagrant up worker1 worker2``: the halted one keeps its disk and
    address, the destroyed one is a new VM (new host key) with the lab's images."""
    prov = vlab.provider
    vlab.stop("worker2")
    prov._vagrant(LAB, ["destroy", "-f", "worker1"])  # as a learner would, by hand
    assert prov.states(LAB) == {"manager1": "running", "worker1": "not_created",
                                "worker2": "exited"}
    back = swarmlab.Lab.up(LAB, 1, 2, provider="vagrant")
    assert "start worker1, worker2" in capsys.readouterr().out  # one step, one vagrant up
    rows = answered_status(back)
    assert {r["status"] for r in rows.values()} == {"Ready"}, rows
    assert {r["machine"] for r in rows.values()} == {"running"}, rows
    assert (rows["worker1"]["address"], rows["worker2"]["address"]) == ("192.168.56.101",
                                                                        "192.168.56.102")
    out = back.node("manager1").run(
        "docker node inspect worker2 -f '{{.Status.State}} {{.Status.Addr}}'").check().stdout
    assert out.split() == ["ready", "192.168.56.102"]
    images = back.node("worker1").run("docker image ls --format '{{.Repository}}:{{.Tag}}'")
    assert "swarmlab/web:v1" in images.check().stdout
