"""Lab.up's order of steps and its clean-up, with a recording provider (no Docker)."""

from __future__ import annotations

import pytest

from swarmlab import host
from swarmlab import lab as lab_module
from swarmlab.errors import CapabilityMissing, ClusterExists, SpecError, SwarmError
from swarmlab.lab import Lab
from swarmlab.node import Node
from swarmlab.providers.dind import DindProvider
from swarmlab.transport.base import CommandResult


class NullTransport:
    def run(self, cmd, *, timeout=None, stdin=None, on_output=None):
        return CommandResult(cmd, 0, "", "")

    def put_file(self, path, data, mode=0o644):
        pass

    def close(self):
        pass


class RecordingProvider:
    name = "fake"

    def __init__(self, existing=None, fail_at=None):
        self.calls: list[str] = []
        self.existing = existing or []
        self.fail_at = fail_at
        self.loaded: list[list[str]] = []

    def _maybe_fail(self, step):
        self.calls.append(step)
        if step == self.fail_at:
            raise KeyboardInterrupt if step == "load" else SwarmError(f"{step} broke")

    def find(self, lab):
        return list(self.existing)

    def check_capacity(self, count):
        pass

    def prepare_images(self, steps):
        pass

    def create(self, spec, steps):
        self._maybe_fail("create")
        return [Node(n.name, n.role, f"10.0.0.{i}", NullTransport()) for i, n in enumerate(spec.nodes)]

    def add(self, lab, node, steps):
        self.calls.append(f"add {node.name}")
        return Node(node.name, node.role, "10.0.0.9", NullTransport())

    def wait_engine(self, node, timeout=60):
        pass  # the fake machines' engines answer at once

    def load_images(self, nodes, tags):
        self._maybe_fail("load")
        self.loaded.append(list(tags))

    def delete(self, lab):
        self.calls.append("delete")
        return 0

    def states(self, lab):
        return {n.name: "running" for n in self.existing}


@pytest.fixture
def fake_swarm(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(lab_module.swarm, "form", lambda nodes: calls.append("form"))
    monkeypatch.setattr(lab_module.swarm, "wait_ready", lambda nodes, **kw: calls.append("ready"))
    monkeypatch.setattr(lab_module.swarm, "prune_stale", lambda m, names: calls.append("prune"))
    return calls


def test_up_creates_machines_then_loads_images_then_forms_the_swarm(fake_swarm):
    prov = RecordingProvider()
    lab = Lab.up("t-order", provider_obj=prov, quiet=True)
    assert prov.calls == ["create", "load"] and fake_swarm == ["form", "ready"]
    assert lab.node_names == ["manager1", "worker1", "worker2"]


def test_up_loads_what_every_lab_uses_and_lab_12_adds_its_registry(fake_swarm):
    """Not the 27 MB registry image into every node at ``up`` (most of the image step on
    an emulated VM): only a cluster prepared for lab 12 gets it."""
    from swarmlab import pipeline
    from swarmlab.images.build import LAB_IMAGE_TAGS, lab_image_tags
    from swarmlab.progress import Steps

    prov = RecordingProvider()
    lab = Lab.up("t-images", provider_obj=prov, quiet=True)
    assert "swarmlab/web:v1" in prov.loaded[0] and "swarmlab/registry:latest" not in prov.loaded[0]
    assert set(lab_image_tags("12")) == set(LAB_IMAGE_TAGS) > set(lab_image_tags("03"))
    lab.lab_id = "12"  # as start_lab("12") marks it
    prov.existing = lab.nodes
    pipeline.load_images(lab, Steps(quiet=True))
    assert "swarmlab/registry:latest" in prov.loaded[-1]


def test_no_swarm_start_state_skips_formation(fake_swarm):
    Lab.up("t-order", provider_obj=RecordingProvider(), form_swarm=False, quiet=True)
    assert fake_swarm == []


@pytest.mark.parametrize("fail_at", ["create", "load"])
def test_a_failed_or_interrupted_up_deletes_what_it_made(fake_swarm, fail_at):
    prov = RecordingProvider(fail_at=fail_at)
    with pytest.raises((SwarmError, KeyboardInterrupt)):
        Lab.up("t-fail", provider_obj=prov, quiet=True)
    assert prov.calls[-1] == "delete"


def test_keep_on_error_keeps_what_was_made_for_debugging(fake_swarm):
    prov = RecordingProvider(fail_at="create")
    with pytest.raises(SwarmError):
        Lab.up("t-keep", provider_obj=prov, keep_on_error=True, quiet=True)
    assert "delete" not in prov.calls


def test_bad_counts_fail_before_anything_is_created():
    prov = RecordingProvider()
    with pytest.raises(SpecError):
        Lab.up("t-bad", managers=0, provider_obj=prov, quiet=True)
    assert prov.calls == []


def test_an_existing_lab_with_more_nodes_than_asked_is_not_silently_reused(fake_swarm):
    existing = [Node(n, r, "10.0.0.1", NullTransport()) for n, r in
                [("manager1", "manager"), ("worker1", "worker"), ("worker2", "worker")]]
    with pytest.raises(ClusterExists, match="swarmlab down --name t-shape"):
        Lab.up("t-shape", workers=1, provider_obj=RecordingProvider(existing), quiet=True)


def test_nodes_removed_by_hand_are_recreated_and_the_swarm_checked(fake_swarm):
    existing = [Node("manager1", "manager", "10.0.0.1", NullTransport())]
    prov = RecordingProvider(existing)
    lab = Lab.up("t-repair", provider_obj=prov, quiet=True)
    assert prov.calls == ["add worker1", "add worker2", "load"]
    assert lab.node_names == ["manager1", "worker1", "worker2"]
    assert fake_swarm == ["form", "ready", "prune"]


def test_an_existing_lab_of_the_same_shape_is_reused_without_creating(fake_swarm):
    existing = [Node(n, r, "10.0.0.1", NullTransport()) for n, r in
                [("manager1", "manager"), ("worker1", "worker"), ("worker2", "worker")]]
    prov = RecordingProvider(existing)
    lab = Lab.up("t-same", provider_obj=prov, quiet=True)
    assert "create" not in prov.calls and lab.node_names == ["manager1", "worker1", "worker2"]


def test_unknown_node_names_the_real_ones(fake_swarm):
    lab = Lab.up("t-node", provider_obj=RecordingProvider(), quiet=True)
    with pytest.raises(SpecError, match="manager1, worker1, worker2"):
        lab.node("worker7")


def test_a_cluster_larger_than_free_memory_is_refused_before_anything_is_made(monkeypatch):
    monkeypatch.setattr(host, "mem_available_kib", lambda: 300 * 1024)
    prov = RecordingProvider()
    prov.check_capacity = DindProvider(client=object()).check_capacity
    with pytest.raises(CapabilityMissing, match="fewer nodes"):
        Lab.up("t-mem", managers=3, workers=40, provider="dind", provider_obj=prov, quiet=True)
    assert prov.calls == []


def test_a_rootless_engine_is_refused_before_anything_is_made(monkeypatch):
    monkeypatch.setattr(host, "mem_available_kib", lambda: 20_000_000)

    class Rootless:
        def info(self):
            return {"SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless"]}

    prov = RecordingProvider()
    prov.check_capacity = DindProvider(client=Rootless()).check_capacity
    with pytest.raises(CapabilityMissing, match="rootless.*--provider vm"):
        Lab.up("t-rootless", provider="dind", provider_obj=prov, quiet=True)
    assert prov.calls == []
