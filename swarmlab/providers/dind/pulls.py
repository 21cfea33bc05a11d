"""Let a dind node's engine pull images for its service tasks (lab 12).

The node image sets ``DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1``: a swarm task then runs
the image its node already has and never asks a registry (the kit preloads the lab
images, and a name like ``swarmlab/web`` must never be fetched from Docker Hub). A
registry lab needs the engines to pull, so its nodes are made again with the variable
set to 0. The container's volume keeps ``/var/lib/docker``, so the node keeps its swarm
membership, its images and its address: for the swarm this is an engine restart.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from swarmlab.node import Node
from swarmlab.providers.dind import machines
from swarmlab.providers.dind.network import network_name
from swarmlab.spec import NodeSpec

PULL_ENV = "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE"


def pulls_allowed(client: Any, node: Node) -> bool:
    """Whether the node's engine pulls images for its tasks (its env does not forbid it)."""
    env = client.containers.get(node.provider_id).attrs["Config"].get("Env") or []
    return f"{PULL_ENV}=1" not in env


def allow_pulls(provider: Any, lab: str, node: Node) -> Node:
    """Make the node's container again, same volume and address, with pulls allowed."""
    client = provider.client
    old = client.containers.get(node.provider_id)
    env = {k: v for k, _, v in (e.partition("=") for e in old.attrs["Config"].get("Env") or [])
           if k == "SWARMLAB_SSH_PUBKEY"}
    privileged = bool(old.attrs["HostConfig"].get("Privileged"))
    net = client.networks.get(network_name(lab))
    subnet = ipaddress.IPv4Network(net.attrs["IPAM"]["Config"][0]["Subnet"])
    old.stop(timeout=20)
    old.remove()
    new = machines.run_node(client, lab, NodeSpec.parse(node.name), subnet, privileged,
                            {**env, PULL_ENV: "0"})
    provider.wait_engine(new)
    return new
