"""What every provider offers. Creating machines is kept apart from forming the swarm."""

from __future__ import annotations

from typing import Any, Protocol

from swarmlab.node import Node
from swarmlab.progress import Steps
from swarmlab.spec import ClusterSpec, NodeSpec


class Provider(Protocol):
    """Makes, finds, powers and deletes the machines of a lab; knows nothing of Swarm."""

    name: str

    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        """Create every machine of ``spec`` with a Docker engine answering."""
        ...

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        """Create one more machine in an existing lab."""
        ...

    def find(self, lab: str) -> list[Node]:
        """The lab's machines as they exist now (running or not), by labels only."""
        ...

    def states(self, lab: str) -> dict[str, str]:
        """Machine name -> "running" / "exited" / ... as the provider sees it."""
        ...

    def stop(self, lab: str, node: str) -> None: ...

    def start(self, lab: str, node: str) -> None: ...

    def remove(self, lab: str, node: str) -> None:
        """Delete one machine and its storage."""
        ...

    def delete(self, lab: str) -> int:
        """Delete everything the lab has; return how many things were removed."""
        ...

    def labs(self) -> list[str]:
        """Names of the labs this provider holds."""
        ...

    def wait_engine(self, node: Node, timeout: float = 60) -> None: ...

    def load_images(self, nodes: list[Node], tags: list[str]) -> None: ...


class HostEngineClient:
    """For providers whose nodes are not containers: the host engine, connected on first use.

    Lab images are built on the host engine and streamed into the nodes from there.
    """

    _client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from swarmlab import engine

            self._client = engine.connect()
        return self._client
