"""The vm provider's pieces that need no VM: command lines, records, process checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swarmlab.errors import ClusterNotFound
from swarmlab.images import vm as vmimage
from swarmlab.providers import get_provider
from swarmlab.providers.vm import VmProvider, labs_dir, monitor, node_address
from swarmlab.providers.vm.processes import alive as _alive
from swarmlab.providers.vm.processes import free_port
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


def test_the_boot_trims_follow_the_recipe_and_spare_what_a_node_needs(monkeypatch):
    before = vmimage.recipe_hash()
    monkeypatch.setattr(vmimage, "GENERATORS_OFF", vmimage.GENERATORS_OFF[:-1])
    assert vmimage.recipe_hash() != before  # a masked generator is part of the recipe
    blacklisted = {line.split()[1] for line in
                   vmimage.FILES["etc/modprobe.d/swarmlab.conf"].splitlines()}
    # NICs and disk, what dockerd and swarm load (bridges, overlay networks, the routing
    # mesh's IPVS, netfilter), and the ACPI power button a graceful power-off presses.
    needed = {"virtio_net", "virtio_blk", "virtio_pci", "overlay", "bridge", "br_netfilter",
              "vxlan", "ip_vs", "nf_conntrack", "nf_nat", "evdev", "button", "ext4"}
    assert blacklisted and not blacklisted & needed
    # Units a node needs stay: its own set-up, sshd, dockerd and what they stand on.
    assert not set(vmimage.MASK) & {*vmimage.ENABLE, "systemd-journald.service",
                                     "systemd-logind.service", "containerd.service",
                                     "networking.service", "systemd-udevd.service"}


def test_the_qemu_command_line_is_private_and_offline(cache):
    prov = VmProvider(memory_mb=768)
    rec = {"name": "worker2", "role": "worker", "index": 2, "address": "192.168.77.102",
           "ssh_port": 40022, "image": str(cache / "img")}
    argv = prov._argv("hvm-u", rec, "tcg")
    line = " ".join(argv)
    assert "restrict=on" in line
    assert "hostfwd=tcp:127.0.0.1:40022-10.0.2.15:22" in line
    assert "0.0.0.0" not in line
    assert "-accel tcg,tb-size=256 -cpu qemu64 -smp 1 -m 768" in line
    append = argv[argv.index("-append") + 1]
    for word in ("apparmor=0", "systemd.hostname=worker2", "swarmlab.addr=eth1:192.168.77.102/24",
                 "swarmlab.addr=eth0:10.0.2.15/24", "swarmlab.gw=10.0.2.2",
                 "net.ifnames=0", "panic=5"):
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


# A qemu with no machine and no guest (-machine none -S): its monitor and user-mode NIC are
# the real ones a VM has, at no boot cost. What reaches the guest is tests/vm's work.
ECHOED = (b"h\x1b[K\x1b[Dho\x1b[K\x1b[D\x1b[Dhostfwd_add nat tcp:127.0.0.1:41001-10.0.2.15:8081"
          b"\x1b[K\r\nCould not set up host forwarding rule 'tcp:127.0.0.1:41001-10.0.2.15:8081'"
          b"\r\n(qemu) ")  # recorded from qemu 7.2


def test_the_monitor_reply_drops_the_echoed_command_and_the_prompt():
    assert monitor.reply(ECHOED) == ("Could not set up host forwarding rule "
                                     "'tcp:127.0.0.1:41001-10.0.2.15:8081'")
    assert monitor.reply(b"hostfwd_add nat tcp:127.0.0.1:1-10.0.2.15:2\x1b[K\r\n(qemu) ") == ""


def test_a_forward_is_on_loopback_to_the_guest_nic():
    assert monitor.add_command(41001, 8080) == "hostfwd_add nat tcp:127.0.0.1:41001-10.0.2.15:8080"
    usernet = ("Hub -1 (nat):\r\n  Protocol[State]    FD  Source Address  Port   Dest. Address"
               "  Port RecvQ SendQ\r\n  TCP[HOST_FORWARD]  13       127.0.0.1 41001       "
               "10.0.2.15  8080     0     0\r\n  TCP[HOST_FORWARD]  11       127.0.0.1 40022"
               "       10.0.2.15    22     0     0\r\n")
    assert monitor.live_forwards(usernet) == {41001: 8080, 40022: 22}


def start_bare_qemu(d, name: str, ssh_port: int) -> None:
    subprocess.run(
        ["qemu-system-x86_64", "-machine", "none", "-S", "-nodefaults", "-display", "none",
         "-netdev", f"user,id=nat,net=10.0.2.0/24,restrict=on,"
                    f"hostfwd=tcp:127.0.0.1:{ssh_port}-10.0.2.15:22",
         "-monitor", f"unix:{d / name}.mon,server,nowait", "-pidfile", str(d / f"{name}.pid"),
         "-daemonize"], check=True, capture_output=True, timeout=30)


def listening(port: int) -> list[str]:
    """Local addresses listening on TCP ``port`` (from /proc/net/tcp)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, p = local.split(":")
        if state == "0A" and int(p, 16) == port:
            found.append(".".join(str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="qemu is not installed")
def test_reach_forwards_loopback_once_keeps_it_in_the_record_and_dies_with_the_vm(cache):
    prov, lab, d = VmProvider(), "vp-fwd", labs_dir() / "vp-fwd"
    d.mkdir(parents=True)
    rec = {"name": "manager1", "role": "manager", "index": 1, "address": "192.168.77.11",
           "ssh_port": free_port(), "image": str(cache / "img")}
    (d / "manager1.json").write_text(json.dumps(rec))
    start_bare_qemu(d, "manager1", rec["ssh_port"])
    try:
        host, port = prov.reach(lab, "manager1", 8080)
        assert host == "127.0.0.1" and listening(port) == ["127.0.0.1"]  # loopback only
        assert prov.reach(lab, "manager1", 8080) == (host, port)  # the same forward again
        assert json.loads((d / "manager1.json").read_text())["forwards"] == {"8080": port}
        other = prov.reach(lab, "manager1", 8081)[1]
        assert other != port
        # A power cycle: a new qemu has none of them; the record brings them back.
        _kill(d / "manager1.pid", d)
        assert listening(port) == []
        start_bare_qemu(d, "manager1", rec["ssh_port"])
        saved = json.loads((d / "manager1.json").read_text())
        monitor.restore_forwards(d / "manager1.mon", saved)
        assert saved["forwards"] == {"8080": port, "8081": other}
        assert listening(port) == ["127.0.0.1"] and listening(other) == ["127.0.0.1"]
        with pytest.raises(ClusterNotFound, match="no VM 'worker9'"):
            prov.reach(lab, "worker9", 8080)
        prov.remove(lab, "manager1")
        assert listening(port) == [] and not (d / "manager1.json").exists()
    finally:
        _kill(d / "manager1.pid", d)
