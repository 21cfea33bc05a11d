"""The named steps of creation and repair, on a recording provider (no Docker)."""

from __future__ import annotations

from swarmlab import pipeline
from swarmlab.lab import Lab
from swarmlab.node import Node
from swarmlab.progress import Steps
from swarmlab.spec import ClusterSpec
from swarmlab.transport.base import CommandResult

QUIET = Steps(quiet=True)


class NullTransport:
    def run(self, cmd, *, timeout=None, stdin=None, on_output=None):
        return CommandResult(cmd, 0, "", "")


def make(name: str) -> Node:
    return Node(name, name.rstrip("0123456789"), "10.0.0.1", NullTransport())  # type: ignore[arg-type]


class Machines:
    name = "fake"

    def __init__(self, names, stopped=()):
        self.have = {n: ("exited" if n in stopped else "running") for n in names}
        self.calls: list[str] = []

    def add(self, lab, spec, steps):
        self.calls.append(f"add {spec.name}")
        self.have[spec.name] = "running"
        return make(spec.name)

    def remove(self, lab, node):
        self.calls.append(f"remove {node}")
        del self.have[node]

    def states(self, lab):
        return dict(self.have)

    def start_many(self, lab, nodes):
        self.calls.append(f"start {' '.join(nodes)}")
        self.have.update(dict.fromkeys(nodes, "running"))


def lab_of(prov: Machines) -> Lab:
    return Lab("t", prov, [make(n) for n in prov.have])  # type: ignore[arg-type]


def test_exact_reshape_removes_extra_machines_and_adds_missing_ones_in_order():
    prov = Machines(["manager1", "worker1", "worker2", "worker3"])
    lab = lab_of(prov)
    changes = pipeline.ensure_machines(lab, ClusterSpec("t", 3, 1), QUIET, exact=True)
    assert prov.calls == ["remove worker2", "remove worker3", "add manager2", "add manager3"]
    assert changes == ["removed worker2", "removed worker3", "added manager2", "added manager3"]
    assert lab.node_names == ["manager1", "manager2", "manager3", "worker1"]


def test_repair_only_adds_what_was_removed_by_hand():
    prov = Machines(["manager1", "worker2"])
    lab = lab_of(prov)
    assert pipeline.ensure_machines(lab, ClusterSpec("t", 1, 2), QUIET) == ["added worker1"]
    assert lab.node_names == ["manager1", "worker1", "worker2"]


def test_stopped_machines_are_started():
    prov = Machines(["manager1", "worker1"], stopped={"worker1"})
    assert pipeline.start_stopped(lab_of(prov), QUIET) == ["started worker1"]
    assert prov.calls == ["start worker1"]


def test_stopped_machines_are_started_together_in_one_call():
    prov = Machines(["manager1", "worker1", "worker2"], stopped={"manager1", "worker2"})
    assert pipeline.start_stopped(lab_of(prov), QUIET) == ["started manager1",
                                                           "started worker2"]
    assert prov.calls == ["start manager1 worker2"]
    assert pipeline.start_stopped(lab_of(prov), QUIET) == []  # nothing stopped: no call
    assert prov.calls == ["start manager1 worker2"]
