"""What providers share, without Docker: the registry, addresses, order, the engine wait."""

from __future__ import annotations

import ipaddress

import pytest

from swarmlab import host
from swarmlab.cli import up as cli_up
from swarmlab.errors import CapabilityMissing, ConnectError, ProviderError, SpecError, WaitTimeout
from swarmlab.node import Node, sort_nodes
from swarmlab.providers import PROVIDERS, get_provider
from swarmlab.providers.common import host_number, node_address, require_memory, wait_engine
from swarmlab.providers.dind.machines import node_address as dind_address
from swarmlab.providers.registry import REGISTRY, provider_class
from swarmlab.spec import ClusterSpec, NodeSpec
from swarmlab.transport.base import CommandResult


def test_the_registry_is_the_one_list_the_cli_and_the_spec_read():
    assert PROVIDERS == tuple(REGISTRY) == ("dind", "vm", "ssh", "vagrant")
    choice = next(p for p in cli_up.params if p.name == "provider")
    assert tuple(choice.type.choices) == PROVIDERS
    with pytest.raises(SpecError, match="choose one of dind, vm, ssh, vagrant"):
        ClusterSpec("x", provider="docker-machine")


def test_every_registered_provider_has_every_protocol_method_documented():
    methods = ["check_capacity", "prepare_images", "create", "add", "find", "states", "stop",
               "start", "start_many", "remove", "delete", "labs", "wait_engine", "load_images",
               "allow_pulls", "reach"]
    for name in PROVIDERS:
        cls = provider_class(name)
        for m in methods:
            assert (getattr(cls, m).__doc__ or "").strip(), f"{name}.{m} has no docstring"


def test_get_provider_passes_only_the_options_a_provider_takes(tmp_path):
    inv = tmp_path / "hosts.yaml"
    inv.write_text("hosts: [{name: manager1, address: 10.0.0.1}]\n")
    prov = get_provider("ssh", inventory=str(inv), vagrant_dir="/nowhere")
    assert prov.name == "ssh" and [h.name for h in prov.hosts] == ["manager1"]  # type: ignore[attr-defined]


def test_addresses_follow_one_rule_for_every_provider():
    m2, w3 = NodeSpec("manager2", "manager", 2), NodeSpec("worker3", "worker", 3)
    assert (host_number(m2), host_number(w3)) == (12, 103)
    assert node_address("192.168.77", w3) == "192.168.77.103"
    assert dind_address(ipaddress.IPv4Network("172.29.4.0/24"), m2) == "172.29.4.12"


def test_nodes_are_ordered_managers_first_then_by_number():
    names = ["worker10", "worker2", "manager1", "worker1"]
    nodes = [Node(n, n.rstrip("0123456789"), "", None) for n in names]  # type: ignore[arg-type]
    assert [n.name for n in sort_nodes(nodes)] == ["manager1", "worker1", "worker2", "worker10"]


def test_require_memory_refuses_only_what_does_not_fit(monkeypatch):
    monkeypatch.setattr(host, "mem_available_kib", lambda: 500 * 1024)
    require_memory(400, "{need} > {free}")
    with pytest.raises(CapabilityMissing, match="600 > 500"):
        require_memory(600, "{need} > {free}")
    monkeypatch.setattr(host, "mem_available_kib", lambda: 0)  # unknown: never refuse
    require_memory(10**6, "x")


class Replies:
    """A transport that answers from a script: results, or exceptions to raise."""

    def __init__(self, *replies):
        self.replies = list(replies)

    def run(self, cmd, *, timeout=None, stdin=None, on_output=None):
        r = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(r, Exception):
            raise r
        return CommandResult(cmd, r, "", "" if r == 0 else "Cannot connect to the Docker daemon")


def node(*replies) -> Node:
    return Node("worker1", "worker", "10.0.0.2", Replies(*replies))  # type: ignore[arg-type]


def test_wait_engine_waits_through_refusals_until_docker_answers():
    wait_engine(node(ConnectError("refused"), 1, 0), what="dockerd", timeout=5, interval=0.01,
                hint="h")


def test_wait_engine_times_out_with_what_it_saw_last():
    with pytest.raises(WaitTimeout, match="Cannot connect to the Docker daemon"):
        wait_engine(node(1), what="dockerd in worker1", timeout=0.05, interval=0.01, hint="h")


def test_a_changed_host_key_is_not_waited_for():
    with pytest.raises(ConnectError, match="host key"):
        wait_engine(node(ConnectError("the host key changed")), what="x", timeout=5,
                    interval=0.01, hint="h", fatal=("host key",))


def test_a_dead_machine_fails_at_once():
    def alive():
        raise ProviderError("VM worker1 stopped while booting")

    with pytest.raises(ProviderError, match="stopped while booting"):
        wait_engine(node(1), what="x", timeout=5, interval=0.01, hint="h", alive=alive)


def test_a_vm_that_never_answers_ssh_says_what_its_console_showed(tmp_path, monkeypatch):
    """A failed `up` removes the lab's folder, console included: the error keeps its tail."""
    from swarmlab.providers.vm import VmProvider, processes

    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path))
    prov = VmProvider()
    d = prov._dir("t")
    d.mkdir(parents=True)
    (d / "worker1.serial").write_text("[  61.2] rcu: INFO: rcu_preempt self-detected stall\n"
                                      "worker1 login: \n")
    monkeypatch.setattr(processes, "alive", lambda pidfile, owner: True)
    vm = Node("worker1", "worker", "192.168.77.101",
              Replies(*[ConnectError("No existing session")] * 5),  # type: ignore[arg-type]
              "vm:t/worker1")
    with pytest.raises(WaitTimeout) as e:
        prov.wait_engine(vm, timeout=0.05)
    assert "No existing session" in str(e.value)
    assert "its last lines:\n[  61.2] rcu: INFO" in str(e.value)
    assert str(e.value).rstrip().endswith("worker1 login:")


def test_host_routes_parse_proc_net_route(monkeypatch):
    table = ("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
             "eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\n"
             "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n")
    monkeypatch.setattr(host, "read", lambda path: table)
    assert host.routes() == [ipaddress.IPv4Network("192.168.0.0/24")]
