"""swarmlab: learn Docker Swarm mode on real multi-node clusters, from Jupyter."""

from swarmlab.errors import (
    CapabilityMissing,
    ClusterExists,
    ClusterNotFound,
    CommandError,
    ConnectError,
    EngineUnavailable,
    ImageError,
    ProviderError,
    SpecError,
    SwarmError,
    SwarmLabError,
    TransportError,
    WaitTimeout,
)
from swarmlab.lab import Lab, connect, up
from swarmlab.labs import check, start_lab
from swarmlab.node import Node
from swarmlab.spec import ClusterSpec, NodeSpec
from swarmlab.transport.base import CommandResult
from swarmlab.viz.ideas import idea

__version__ = "0.1.0"

__all__ = [
    "CapabilityMissing",
    "ClusterExists",
    "ClusterNotFound",
    "ClusterSpec",
    "CommandError",
    "CommandResult",
    "ConnectError",
    "EngineUnavailable",
    "ImageError",
    "Lab",
    "Node",
    "NodeSpec",
    "ProviderError",
    "SpecError",
    "SwarmError",
    "SwarmLabError",
    "TransportError",
    "WaitTimeout",
    "check",
    "connect",
    "idea",
    "start_lab",
    "up",
]


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext swarmlab``: register ``%node``, ``%%node`` and ``%swarmlab``."""
    from swarmlab.magics import load_ipython_extension as load

    load(ipython)
