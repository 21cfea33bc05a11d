"""``Lab.start`` powers a node on and, when it was in the swarm, waits until it is Ready."""

from __future__ import annotations

import pytest

from swarmlab import swarm
from tests.fixtures.recorded import fake_lab


class Powered:
    """A provider that records what it powered on."""

    name = "fake"

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, lab: str, node: str) -> None:
        self.started.append(node)


@pytest.mark.parametrize(("state", "waits"), [
    ("active", True),
    ("pending", True),  # back from a power-off, not yet in touch with a manager
    ("inactive", False),  # never joined: nothing to wait for
    ("locked", False),  # an autolocked manager waits for its key, not for time
    ("error", True),  # a worker whose first try to reach a manager failed: it retries
    ("unreachable", True),  # `docker info` over 20 s: a VM under load (vm tier, run H)
])
def test_start_waits_for_ready_while_the_node_is_in_or_rejoining_the_swarm(
        monkeypatch: pytest.MonkeyPatch, state: str, waits: bool) -> None:
    lab = fake_lab()
    lab.provider = Powered()  # type: ignore[assignment]
    waited: list[list[str]] = []
    monkeypatch.setattr(lab, "wait_ready",
                        lambda nodes, timeout: waited.append([n.name for n in nodes]))
    monkeypatch.setattr(swarm, "swarm_state", lambda node: state)
    lab.start("worker1", timeout=5)
    assert lab.provider.started == ["worker1"]  # type: ignore[attr-defined]
    assert waited == ([["worker1"]] if waits else [])
