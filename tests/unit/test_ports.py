"""Opening a published port from this machine, without a cluster: which node is asked,
what counts as answering, and the errors that name the fix (swarm state from snapshots
recorded on real clusters; real sockets on 127.0.0.1 stand in for the nodes' ports)."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from swarmlab import ports
from swarmlab.errors import ProviderError, SpecError, WaitTimeout
from swarmlab.ports import choose_node, probe
from tests.fixtures.recorded import FakeProvider, fake_lab, snapshot

NODES = ["manager1", "worker1", "worker2"]


def test_host_mode_asks_a_node_that_runs_the_task():
    snap = snapshot("mesh-host-mode")  # mesh: 8080 in host mode, its one task on manager1
    assert choose_node(snap, 8080, None, NODES) == "manager1"
    assert choose_node(snap, 8080, "manager1", NODES) == "manager1"
    with pytest.raises(SpecError, match=r"only the nodes running its tasks open it \(manager1\)"
                       r".*--node manager1.*--publish published=8080,target=80"):
        choose_node(snap, 8080, "worker1", NODES)


def test_host_mode_without_a_running_task_says_where_to_look():
    snap = dataclasses.replace(snapshot("mesh-host-mode"), tasks=())
    with pytest.raises(SpecError, match="none of its tasks runs.*docker service ps mesh"):
        choose_node(snap, 8080, None, NODES)


def test_the_routing_mesh_may_be_asked_on_any_node():
    snap = snapshot("mesh-ingress")
    assert choose_node(snap, 8080, None, NODES) == "manager1"  # where the task runs
    assert choose_node(snap, 8080, "worker2", NODES) == "worker2"


def test_an_unpublished_port_is_asked_on_the_given_node_or_the_first():
    snap = snapshot("mesh-ingress")
    assert choose_node(snap, 9999, None, NODES) == "manager1"
    assert choose_node(None, 9999, "worker1", NODES) == "worker1"  # no swarm to ask


def test_an_unknown_node_is_named_with_the_real_ones():
    with pytest.raises(SpecError, match="no node 'worker9'. Its nodes: manager1, worker1"):
        choose_node(snapshot("mesh-ingress"), 8080, "worker9", NODES)


@pytest.fixture
def server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port on 127.0.0.1 that accepts and keeps connections open, as a web server does."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    kept: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                kept.append(s.accept()[0])
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    yield s.getsockname()[1], kept
    s.close()
    for c in kept:
        c.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_listening_server_answers_and_a_closed_port_does_not(server):
    port, _ = server
    assert probe("127.0.0.1", port, patience=0.3) == ""
    assert "refused" in probe("127.0.0.1", closed_port()).lower()


def test_a_forward_that_closes_at_once_does_not_count():
    # qemu's forward accepts, then closes when nothing listens in the VM.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    threading.Thread(target=lambda: s.accept()[0].close(), daemon=True).start()
    try:
        assert probe("127.0.0.1", s.getsockname()[1], patience=3) in (
            "connection closed at once", "Connection reset by peer")
    finally:
        s.close()


class ReachingProvider(FakeProvider):
    """Machine states, and every node's ports at one address of this machine."""

    def __init__(self, states: dict[str, str], port: int) -> None:
        super().__init__(states)
        self.port, self.asked = port, []

    def reach(self, lab: str, node: str, port: int) -> tuple[str, int]:
        self.asked.append((node, port))
        return "127.0.0.1", self.port


def lab_at(port: int, recorded: str | None, stopped: tuple[str, ...] = ()):
    lab = fake_lab(stopped=stopped)
    states = {n: "exited" if n in stopped else "running" for n in lab.node_names}
    lab.provider = ReachingProvider(states, port)  # type: ignore[assignment]
    snap = snapshot(recorded) if recorded else None
    lab.snapshot = lambda: snap  # type: ignore[method-assign]
    return lab


def test_url_gives_the_address_the_provider_reaches(server):
    port, _ = server
    lab = lab_at(port, "mesh-host-mode")
    assert ports.url(lab, 8080) == f"http://127.0.0.1:{port}/"
    assert lab.provider.asked == [("manager1", 8080)]


def test_a_port_no_service_publishes_says_how_to_publish_it_soon():
    lab = lab_at(closed_port(), "mesh-ingress")
    t = time.monotonic()
    with pytest.raises(SpecError, match="no service publishes it.*--publish "
                       "published=9999,target=80.*--publish-add"):
        ports.url(lab, 9999)
    assert time.monotonic() - t < 6


def test_a_published_port_that_never_answers_names_the_service_and_the_mesh():
    lab = lab_at(closed_port(), "mesh-ingress")
    with pytest.raises(WaitTimeout, match=r"(?s)port 8080 of manager1 \(mesh\).*docker "
                       r"service ps mesh.*IPVS.*mode=host,published=8080,target=80"):
        ports.url(lab, 8080, timeout=1)


def test_url_waits_for_the_task_of_a_service_just_created(server):
    port, _ = server
    lab = lab_at(port, "mesh-host-mode")
    starting = dataclasses.replace(snapshot("mesh-host-mode"), tasks=())
    reads = iter([starting, starting, snapshot("mesh-host-mode")])
    lab.snapshot = lambda: next(reads)  # type: ignore[method-assign]
    assert ports.url(lab, 8080) == f"http://127.0.0.1:{port}/"
    lab.snapshot = lambda: starting  # type: ignore[method-assign]
    with pytest.raises(SpecError, match="none of its tasks runs"):
        ports.url(lab, 8080, timeout=1)


def test_a_powered_off_node_and_a_bad_port_are_refused(server):
    port, _ = server
    lab = lab_at(port, "mesh-ingress", stopped=("worker1",))
    with pytest.raises(ProviderError, match=r"worker1 is exited.*swarmlab start worker1"):
        ports.url(lab, 8080, node="worker1")
    for bad in (0, 70000, "80", True):
        with pytest.raises(SpecError, match="from 1 to 65535"):
            ports.url(lab, bad)  # type: ignore[arg-type]
    assert lab.provider.asked == []


def test_the_cli_prints_the_address_and_refuses_an_unknown_lab(server, monkeypatch):
    from click.testing import CliRunner

    from swarmlab import cli
    from swarmlab.errors import ClusterNotFound

    port, _ = server
    lab = lab_at(port, "mesh-host-mode")

    def connect(name: str):
        if name != "t-fake":
            raise ClusterNotFound(f"No lab named {name!r}. Create it with `swarmlab up`.")
        return lab

    monkeypatch.setattr(cli.Lab, "connect", staticmethod(connect))
    out = CliRunner().invoke(cli.main, ["open", "8080", "--name", "t-fake"])
    assert out.exit_code == 0 and out.output.strip() == f"http://127.0.0.1:{port}/"
    missing = CliRunner().invoke(cli.main, ["open", "8080", "--name", "nope"])
    assert missing.exit_code == 1 and "No lab named 'nope'" in missing.output
