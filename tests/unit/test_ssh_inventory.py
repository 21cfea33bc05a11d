"""Inventories and swarm-address detection of the ssh provider, without hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmlab.errors import SpecError
from swarmlab.node import Node
from swarmlab.providers.ssh import Host, SshProvider, parse_inventory
from swarmlab.providers.ssh.hosts import advertise_address
from swarmlab.transport.base import CommandResult


def test_defaults_apply_and_relative_keys_resolve_next_to_the_inventory(tmp_path):
    hosts = parse_inventory({
        "defaults": {"user": "student", "key": "keys/lab", "port": 2222},
        "hosts": [{"name": "manager1", "address": "10.0.0.10", "advertise": "10.1.0.10"},
                  {"role": "worker", "address": "10.0.0.11", "user": "root", "sudo": True}],
    }, base=tmp_path)
    m, w = hosts
    assert (m.user, m.port, m.key, m.advertise) == ("student", 2222, str(tmp_path / "keys/lab"), "10.1.0.10")
    assert (w.name, w.role, w.user, w.sudo) == ("worker1", "worker", "root", True)


@pytest.mark.parametrize("data, message", [
    ({}, "needs a `hosts:` list"),
    ({"hosts": [{"name": "worker1", "address": "a"}]}, "at least one manager"),
    ({"hosts": [{"name": "manager1"}]}, "needs an `address`"),
    ({"hosts": [{"name": "node7", "address": "a"}]}, "role must be manager or worker"),
    ({"hosts": [{"name": "worker1", "role": "manager", "address": "a"}]}, "names say the role"),
    ({"hosts": [{"name": "manager1", "address": "a", "pasword": "x"}]}, "unknown field"),
    ({"hosts": [{"name": "manager1", "address": "a"}, {"name": "manager1", "address": "b"}]},
     "repeat"),
])
def test_a_bad_inventory_says_what_is_wrong(data, message):
    with pytest.raises(SpecError, match=message):
        parse_inventory(data)


class FakeTransport:
    def __init__(self, ip_output: str) -> None:
        self.ip_output = ip_output

    def run(self, cmd, *, timeout=None, stdin=None, on_output=None):
        return CommandResult(cmd, 0, self.ip_output, "")

    def put_file(self, path, data, mode=0o644): ...

    def close(self): ...


IP = """\
2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0\\       valid_lft forever
3: eth1    inet 192.168.77.11/24 brd 192.168.77.255 scope global eth1\\       valid_lft forever
4: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever
"""


def advertise(host: Host, ip_output: str = IP) -> str:
    node = Node(host.name, host.role, "", FakeTransport(ip_output))
    return advertise_address(node, host)


def test_the_advertise_address_is_taken_from_the_inventory_first():
    assert advertise(Host("manager1", "manager", "127.0.0.1", advertise="10.9.9.9")) == "10.9.9.9"
    assert advertise(Host("manager1", "manager", "127.0.0.1", interface="eth1")) == "192.168.77.11"


def test_detection_skips_nat_and_docker_interfaces():
    # Reached through a port forward: the SSH address is not the host's own.
    assert advertise(Host("worker1", "worker", "127.0.0.1")) == "192.168.77.11"


def test_the_ssh_address_wins_when_the_host_owns_it():
    assert advertise(Host("worker1", "worker", "172.17.0.1")) == "172.17.0.1"


def test_two_candidate_addresses_make_it_ask():
    two = IP + "5: eth2    inet 10.5.0.3/16 scope global eth2\\\n"
    with pytest.raises(SpecError, match="advertise: ADDRESS"):
        advertise(Host("worker1", "worker", "127.0.0.1"), two)


def test_a_missing_interface_lists_what_the_host_has():
    with pytest.raises(SpecError, match="10.0.2.15 on eth0"):
        advertise(Host("worker1", "worker", "127.0.0.1", interface="ens5"))


def test_without_an_inventory_the_provider_says_how_to_give_one(monkeypatch, tmp_path):
    monkeypatch.delenv("SWARMLAB_INVENTORY", raising=False)
    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path))
    with pytest.raises(SpecError, match="SWARMLAB_INVENTORY"):
        SshProvider()._hosts("hssh-none")
    assert SshProvider().find("hssh-none") == []
    assert Path(tmp_path).exists()


def test_a_host_is_reached_at_its_ssh_address_or_its_swarm_address_behind_a_forward(
        monkeypatch, tmp_path):
    from dataclasses import asdict

    from swarmlab.providers.ssh.hosts import is_loopback

    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path))
    prov = SshProvider()
    hosts = [Host("manager1", "manager", "10.1.2.3"),  # a real host: its SSH address
             Host("worker1", "worker", "127.0.0.1", port=2222)]  # VirtualBox's SSH forward
    prov._save("lab", {"hosts": [asdict(h) for h in hosts], "used": ["manager1", "worker1"],
                       "addresses": {"manager1": "10.1.2.3", "worker1": "192.168.56.101"}})
    assert prov.reach("lab", "manager1", 8080) == ("10.1.2.3", 8080)
    assert prov.reach("lab", "worker1", 8080) == ("192.168.56.101", 8080)
    assert [is_loopback(a) for a in ("127.0.0.1", "::1", "localhost", "node1.lan")] == [
        True, True, True, False]
    from swarmlab.providers.vagrant import VagrantProvider

    assert VagrantProvider.reach is SshProvider.reach  # its VMs: the same rule
