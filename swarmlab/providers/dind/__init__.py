"""dind: each node is a Docker-in-Docker container on the host engine.

Machines only: this package creates, finds, powers and deletes node containers
(``machines.py``), their network (``network.py``) and volumes. Forming the swarm is
``swarmlab.swarm``'s job.
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

import docker.errors

from swarmlab import engine
from swarmlab.errors import CapabilityMissing, ClusterNotFound, ProviderError
from swarmlab.node import Node, sort_nodes
from swarmlab.progress import Steps
from swarmlab.providers import labels as L
from swarmlab.providers.base import HostEngineImages
from swarmlab.providers.common import parallel, require_memory, wait_engine
from swarmlab.providers.dind import machines, pulls
from swarmlab.providers.dind.machines import container_name, node_from_labels, volume_name
from swarmlab.providers.dind.network import ensure_network, lab_subnet, network_name
from swarmlab.spec import ClusterSpec, NodeSpec

NODE_MIB = 80  # an idle node measured at 40-55 MiB; leave room for a few tasks


class DindProvider(HostEngineImages):
    """Nodes as containers: a real dockerd each, on a per-lab bridge network."""

    name = "dind"

    def __init__(self, client: Any = None, ssh_pubkey: str | None = None) -> None:
        self.client = client or engine.connect()
        # With a public key, each new node also runs sshd (root, that key only), reachable
        # at its address on the lab network: how the SSH transport and provider are tested.
        self.ssh_pubkey = ssh_pubkey

    def check_capacity(self, count: int) -> None:
        """Refuse a cluster that cannot fit in free memory, or a rootless engine (the nodes'
        own engines need real root), before creating anything."""
        require_memory(count * NODE_MIB, f"{count} nodes need about {{need}} MiB but only "
                       "{free} MiB is free. Use fewer nodes (--workers) or close other programs.")
        if "rootless" in " ".join(self.client.info().get("SecurityOptions") or []):
            raise CapabilityMissing(
                "The Docker engine runs rootless: the engines inside the nodes need real root "
                "(mounts, cgroups, iptables), which a rootless engine cannot give. Use a "
                "rootful Docker engine (`sudo systemctl enable --now docker`, then `docker "
                "context use default`), or the vm provider (`swarmlab up --provider vm`).")

    # ----- finding ---------------------------------------------------------------
    def _containers(self, lab: str) -> list[Any]:
        # ignore_removed: another lab's container may go between the list and its inspect.
        return self.client.containers.list(
            all=True, filters={"label": [f"{L.LAB}={lab}", f"{L.KIND}=node"]},
            ignore_removed=True,
        )

    def labs(self) -> list[str]:
        """Labs with at least one node container on the host engine."""
        found = self.client.containers.list(all=True, filters={"label": [f"{L.KIND}=node"]},
                                            ignore_removed=True)
        return sorted({c.labels.get(L.LAB, "") for c in found} - {""})

    def find(self, lab: str, running_only: bool = False) -> list[Node]:
        """The lab's node containers (only the running ones if ``running_only``), by labels
        only, managers first."""
        return sort_nodes([node_from_labels(self.client, c.labels) for c in self._containers(lab)
                           if not running_only or c.status == "running"])

    def states(self, lab: str) -> dict[str, str]:
        """Node -> the container's status (running, exited, ...)."""
        return {c.labels[L.NODE]: c.status for c in self._containers(lab)}

    def lab_subnet(self, lab: str) -> str | None:
        """The lab network's subnet (for doctor), or None when there is none."""
        subnet = lab_subnet(self.client, lab)
        return str(subnet) if subnet else None

    # ----- creating --------------------------------------------------------------
    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        """The lab network, then every node container at once, then their engines."""
        machines.require_node_image(self.client)
        with steps.step("create the lab network"):
            subnet = ensure_network(self.client, spec.name)
        privileged = self.privileged_works()
        with steps.step(f"start {len(spec.nodes)} node containers"):
            nodes = parallel(lambda n: self._run_node(spec.name, n, subnet, privileged),
                             spec.nodes)
        with steps.step("wait for every node's dockerd"):
            parallel(self.wait_engine, nodes)
        return nodes

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        """One more node container on the lab's network."""
        machines.require_node_image(self.client)
        net = self.client.networks.get(network_name(lab))
        subnet = ipaddress.IPv4Network(net.attrs["IPAM"]["Config"][0]["Subnet"])
        with steps.step(f"start {node.name}"):
            new = self._run_node(lab, node, subnet, self.privileged_works())
            self.wait_engine(new)
        return new

    def _run_node(self, lab: str, node: NodeSpec, subnet: ipaddress.IPv4Network,
                  privileged: bool) -> Node:
        env = {"SWARMLAB_SSH_PUBKEY": self.ssh_pubkey} if self.ssh_pubkey else {}
        return machines.run_node(self.client, lab, node, subnet, privileged, env)

    def privileged_works(self) -> bool:
        """Whether ``--privileged`` runs here (it does not in some sandboxes); probed once."""
        return machines.privileged_works(self.client)

    def wait_engine(self, node: Node, timeout: float = 60) -> None:
        """Until ``docker version`` answers inside the node; fail early if it died."""

        def alive() -> None:
            c = self.client.containers.get(node.provider_id)
            if c.status in ("exited", "dead"):
                logs = c.logs(tail=15).decode(errors="replace")
                raise ProviderError(
                    f"Node {node.name} stopped while its dockerd was starting:\n{logs}\n"
                    "Run `swarmlab doctor` to check what this host lacks."
                )

        wait_engine(node, what=f"dockerd in {node.name}", timeout=timeout, interval=0.2,
                    hint=f"see `docker logs {node.provider_id}`", run_timeout=10, alive=alive)

    # ----- power -------------------------------------------------------------------
    def _container(self, lab: str, node: str) -> Any:
        try:
            return self.client.containers.get(container_name(lab, node))
        except docker.errors.NotFound:
            raise ClusterNotFound(
                f"Lab {lab!r} has no node {node!r}. Nodes: "
                f"{', '.join(n.name for n in self.find(lab)) or 'none'}."
            ) from None

    def stop(self, lab: str, node: str) -> None:
        """Stop the node's container (its dockerd really goes away)."""
        self._container(lab, node).stop(timeout=20)

    def start(self, lab: str, node: str) -> None:
        """Start the node's container and wait for its dockerd."""
        c = self._container(lab, node)
        c.start()
        self.wait_engine(node_from_labels(self.client, c.labels))

    def start_many(self, lab: str, nodes: list[str]) -> None:
        """Start the node containers side by side."""
        parallel(lambda n: self.start(lab, n), nodes)

    # ----- removing ----------------------------------------------------------------
    def remove(self, lab: str, node: str) -> None:
        """Delete one node container and its volume."""
        self._container(lab, node).remove(force=True, v=True)
        self._remove_volumes(lab, node)

    def _remove_volumes(self, lab: str, node: str | None = None) -> int:
        filters = [f"{L.LAB}={lab}"] + ([f"{L.NODE}={node}"] if node else [])
        gone = 0
        for v in self.client.volumes.list(filters={"label": filters}):
            with contextlib.suppress(docker.errors.NotFound):
                v.remove(force=True)
                gone += 1
        return gone

    def delete(self, lab: str) -> int:
        """Remove every container, network and volume labelled with ``lab``."""
        conts = self.client.containers.list(all=True, filters={"label": f"{L.LAB}={lab}"},
                                            ignore_removed=True)

        def kill(c: Any) -> None:
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True, v=True)

        parallel(kill, conts)
        gone = len(conts)
        for net in self.client.networks.list(filters={"label": f"{L.LAB}={lab}"}):
            with contextlib.suppress(docker.errors.NotFound):
                net.remove()
                gone += 1
        return gone + self._remove_volumes(lab)

    def reach(self, lab: str, node: str, port: int) -> tuple[str, int]:
        """The node container's address on the lab's bridge: the host has the bridge's
        gateway address, so a port the node opens is reachable there as it is."""
        if "docker desktop" in str(self.client.info().get("OperatingSystem", "")).lower():
            raise CapabilityMissing(
                "On Docker Desktop the nodes live in Docker's own VM, whose bridge networks "
                "this machine cannot reach. Read the page from a node instead (`swarmlab "
                f"exec {node} -- curl -s http://127.0.0.1:{port}/`), or use the Docker Engine "
                "of a Linux distribution (WSL2 on Windows).")
        return node_from_labels(self.client, self._container(lab, node).labels).address, port

    def allow_pulls(self, lab: str, nodes: list[Node]) -> list[str]:
        """Make each node that may not pull again, with pulls allowed (``pulls.py``)."""
        todo = [n for n in nodes if not pulls.pulls_allowed(self.client, n)]
        parallel(lambda n: pulls.allow_pulls(self, lab, n), todo)
        return [n.name for n in todo]


__all__ = ["NODE_MIB", "DindProvider", "container_name", "network_name", "volume_name"]
