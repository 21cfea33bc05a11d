"""The vm provider's pieces that need no VM: command lines, records, process checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from swarmlab.images import vm as vmimage
from swarmlab.providers import get_provider
from swarmlab.providers.vm import VmProvider, node_address
from swarmlab.providers.vm.processes import alive as _alive
from swarmlab.providers.vm.processes import kill as _kill
from swarmlab.spec import NodeSpec


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path))
    return tmp_path


def test_vm_is_a_registered_provider():
    assert isinstance(get_provider("vm"), VmProvider)


def test_addresses_are_fixed_per_node_on_the_private_subnet():
    assert node_address(NodeSpec("manager1", "manager", 1)) == "192.168.77.11"
    assert node_address(NodeSpec("worker3", "worker", 3)) == "192.168.77.103"


def test_the_recipe_hash_follows_what_goes_into_the_image(monkeypatch):
    before = vmimage.recipe_hash()
    monkeypatch.setitem(vmimage.FILES, "etc/motd", "hello\n")
    assert vmimage.recipe_hash() != before
    assert vmimage.current().folder.name == f"{vmimage.SUITE}-{vmimage.recipe_hash()}"


def test_the_qemu_command_line_is_private_and_offline(cache):
    prov = VmProvider(memory_mb=768)
    rec = {"name": "worker2", "role": "worker", "index": 2, "address": "192.168.77.102",
           "ssh_port": 40022, "image": str(cache / "img")}
    argv = prov._argv("hvm-u", rec, "tcg")
    line = " ".join(argv)
    assert "restrict=on" in line
    assert "hostfwd=tcp:127.0.0.1:40022-10.0.2.15:22" in line
    assert "0.0.0.0" not in line
    assert "-accel tcg,tb-size=256 -cpu max -smp 1 -m 768" in line
    append = argv[argv.index("-append") + 1]
    for word in ("apparmor=0", "systemd.hostname=worker2", "swarmlab.addr=eth1:192.168.77.102/24",
                 "swarmlab.addr=eth0:10.0.2.15/24", "swarmlab.gw=10.0.2.2",
                 "net.ifnames=0"):
        assert word in append.split()
    key = next(w for w in append.split() if w.startswith("swarmlab.key="))
    assert key.count(":") == 1 and " " not in key
    assert "-accel kvm -cpu host" in " ".join(prov._argv("hvm-u", rec, "kvm"))


def test_only_live_processes_started_for_the_lab_count(tmp_path):
    owner = tmp_path / "lab"
    owner.mkdir()
    pidfile = owner / "x.pid"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(owner)])
    try:
        pidfile.write_text(str(proc.pid))
        # Right after fork the child still shows pytest's command line: wait for its exec.
        deadline = time.monotonic() + 5
        while not _alive(pidfile, owner) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _alive(pidfile, owner)
        assert not _alive(pidfile, tmp_path / "other-lab")  # a reused pid is not ours
        assert _kill(pidfile, owner) == 1
        proc.wait(5)
        assert not _alive(pidfile, owner)
    finally:
        proc.kill()
    pidfile.write_text(str(os.getpid()))
    assert _kill(pidfile, owner) == 0  # never kill what is not ours


def test_a_lab_without_records_is_empty_and_delete_is_harmless(cache):
    prov = VmProvider()
    assert prov.find("hvm-none") == [] and prov.states("hvm-none") == {}
    assert prov.delete("hvm-none") == 0
