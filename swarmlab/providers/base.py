"""What every provider offers. Creating machines is kept apart from forming the swarm."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from swarmlab import engine
from swarmlab.images.build import build_all
from swarmlab.images.load import load_images
from swarmlab.node import Node
from swarmlab.parallel import parallel
from swarmlab.progress import Steps

if TYPE_CHECKING:
    from swarmlab.spec import ClusterSpec, NodeSpec


class Provider(Protocol):
    """Makes, finds, powers and deletes the machines of a lab; knows nothing of Swarm."""

    name: str

    def check_capacity(self, count: int) -> None:
        """Raise ``CapabilityMissing`` if ``count`` more machines cannot fit on this host;
        called before anything is made."""
        ...

    def prepare_images(self, steps: Steps) -> None:
        """Build what lab images need building before they are loaded (cheap if current)."""
        ...

    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        """Create every machine of ``spec`` with a Docker engine answering."""
        ...

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        """Create one more machine in an existing lab, its engine answering."""
        ...

    def find(self, lab: str) -> list[Node]:
        """The lab's machines as they exist now (running or not), managers first."""
        ...

    def states(self, lab: str) -> dict[str, str]:
        """Machine name -> "running" / "exited" / ... as the provider sees it."""
        ...

    def stop(self, lab: str, node: str) -> None:
        """Power a machine off (its engine goes away; the swarm sees it Down)."""
        ...

    def start(self, lab: str, node: str) -> None:
        """Power a machine on and wait until its engine answers."""
        ...

    def start_many(self, lab: str, nodes: list[str]) -> None:
        """``start`` for several machines, side by side (a class's halted VMs boot
        together instead of one after the other)."""
        ...

    def remove(self, lab: str, node: str) -> None:
        """Delete one machine and its storage."""
        ...

    def delete(self, lab: str) -> int:
        """Delete everything the lab has; return how many things were removed."""
        ...

    def labs(self) -> list[str]:
        """Names of the labs this provider holds."""
        ...

    def wait_engine(self, node: Node, timeout: float = 60) -> None:
        """Until the node's Docker engine answers; ``WaitTimeout`` (or ``ProviderError``
        when the machine died) otherwise."""
        ...

    def load_images(self, nodes: list[Node], tags: list[str]) -> None:
        """Copy the host's images ``tags`` into each node that lacks them."""
        ...

    def allow_pulls(self, lab: str, nodes: list[Node]) -> list[str]:
        """Let the nodes' engines pull images for their tasks (the kit's nodes never do:
        their images are loaded); return the nodes whose engine was restarted for it."""
        ...

    def reach(self, lab: str, node: str, port: int) -> tuple[str, int]:
        """Where this machine (its browser) reaches TCP ``port`` of the running ``node``:
        (host, port). What that needs is made here and kept (the vm provider's forward,
        on 127.0.0.1 only), so asking again gives the same address."""
        ...


# VM images (and hosts set up alike) forbid pulls in a systemd drop-in: a later one allows.
SYSTEMD_PULLS = """set -e
systemctl show docker -p Environment 2>/dev/null | grep -q 'OFFLINE_IMAGE=1' || exit 0
mkdir -p /etc/systemd/system/docker.service.d
printf '[Service]\\nEnvironment=DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=0\\n' \\
  > /etc/systemd/system/docker.service.d/swarmlab-pull.conf
systemctl daemon-reload; systemctl restart docker; echo restarted
"""


class HostEngineImages:
    """Lab images are built on the host engine and streamed from there into the nodes.

    ``client`` is the host engine, connected on first use (a provider whose nodes are
    containers passes its own). Subclasses may set ``load_timeout`` for slow machines.
    """

    _client: Any = None
    load_timeout: float = 300

    @property
    def client(self) -> Any:
        """The host's Docker engine (docker SDK client)."""
        if self._client is None:
            self._client = engine.connect()
        return self._client

    @client.setter
    def client(self, value: Any) -> None:
        self._client = value

    def prepare_images(self, steps: Steps) -> None:
        """Build the lab images whose recipe changed, on the host engine."""
        build_all(self.client, steps)

    def load_images(self, nodes: list[Node], tags: list[str]) -> None:
        """Stream the images a node lacks into it, every node at once."""
        load_images(self.client, nodes, tags, timeout=self.load_timeout)

    def allow_pulls(self, lab: str, nodes: list[Node]) -> list[str]:
        """Machines with systemd: a drop-in lifts the ban on pulls the VM image sets."""
        done = parallel(lambda n: n.run(SYSTEMD_PULLS, timeout=120).check(), nodes)
        return [n.name for n, r in zip(nodes, done, strict=True) if "restarted" in r.stdout]


__all__ = ["HostEngineImages", "Provider"]
