"""dind: each node is a Docker-in-Docker container on the host engine.

Machines only: this module creates, finds, powers and deletes node containers, their
network and volumes. Forming the swarm is ``swarmlab.swarm``'s job.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker.errors

from swarmlab import engine
from swarmlab.errors import ImageError, ProviderError, SwarmLabError, WaitTimeout
from swarmlab.images.build import NODE, current_hash, is_current
from swarmlab.images.load import load_images
from swarmlab.node import Node
from swarmlab.progress import Steps
from swarmlab.providers import labels as L
from swarmlab.spec import ClusterSpec, NodeSpec
from swarmlab.transport.exec import ExecTransport

SUBNET_POOL = ipaddress.IPv4Network("172.29.0.0/16")
SECURITY_OPTS = ["seccomp=unconfined", "apparmor=unconfined"]
_PRIVILEGE_CACHE: dict[str, bool] = {}


def container_name(lab: str, node: str) -> str:
    return f"swarmlab-{lab}-{node}"


def network_name(lab: str) -> str:
    return f"swarmlab-{lab}"


def volume_name(lab: str, node: str) -> str:
    return f"swarmlab-{lab}-{node}-docker"


def node_address(subnet: ipaddress.IPv4Network, node: NodeSpec) -> str:
    """Fixed per node, so a manager that restarts keeps the address it advertised."""
    offset = 10 + node.index if node.role == "manager" else 100 + node.index
    return str(subnet.network_address + offset)


class DindProvider:
    """Nodes as containers: a real dockerd each, on a per-lab bridge network."""

    name = "dind"

    def __init__(self, client: Any = None, ssh_pubkey: str | None = None) -> None:
        self.client = client or engine.connect()
        # With a public key, each new node also runs sshd (root, that key only), reachable
        # at its address on the lab network: how the SSH transport and provider are tested.
        self.ssh_pubkey = ssh_pubkey

    # ----- finding ---------------------------------------------------------------
    def _containers(self, lab: str) -> list[Any]:
        return self.client.containers.list(
            all=True, filters={"label": [f"{L.LAB}={lab}", f"{L.KIND}=node"]},
            ignore_removed=True,
        )

    def labs(self) -> list[str]:
        # ignore_removed: another lab on the engine may be deleted while we list
        found = self.client.containers.list(all=True, filters={"label": [f"{L.KIND}=node"]},
                                            ignore_removed=True)
        return sorted({c.labels.get(L.LAB, "") for c in found} - {""})

    def find(self, lab: str) -> list[Node]:
        nodes = [self._node(c.labels) for c in self._containers(lab)]
        return sorted(nodes, key=lambda n: (n.role != "manager", len(n.name), n.name))

    def _node(self, labels: dict[str, str]) -> Node:
        lab, name = labels[L.LAB], labels[L.NODE]
        cname = container_name(lab, name)
        return Node(
            name, labels[L.ROLE], labels[L.ADDRESS], ExecTransport(self.client, cname, name), cname
        )

    def states(self, lab: str) -> dict[str, str]:
        return {c.labels[L.NODE]: c.status for c in self._containers(lab)}

    # ----- creating --------------------------------------------------------------
    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        self._require_node_image()
        with steps.step("create the lab network"):
            subnet = self._network(spec.name)
        privileged = self.privileged_works()
        with steps.step(f"start {len(spec.nodes)} node containers"):
            nodes = self._parallel(
                lambda n: self._run_node(spec.name, n, subnet, privileged), spec.nodes
            )
        with steps.step("wait for every node's dockerd"):
            self._parallel(self.wait_engine, nodes)
        return nodes

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        self._require_node_image()
        net = self.client.networks.get(network_name(lab))
        subnet = ipaddress.IPv4Network(net.attrs["IPAM"]["Config"][0]["Subnet"])
        with steps.step(f"start {node.name}"):
            new = self._run_node(lab, node, subnet, self.privileged_works())
            self.wait_engine(new)
        return new

    def _require_node_image(self) -> None:
        if current_hash(self.client, NODE) is None:
            raise ImageError(
                "The node image swarmlab/node is not built. Run `swarmlab images build` "
                "(about 2 minutes the first time)."
            )
        if not is_current(self.client, NODE):
            # Usable, but say so: a rebuild picks up recipe changes.
            print("[swarmlab] note: swarmlab/node is older than its recipe; "
                  "`swarmlab images build` refreshes it.")

    def _parallel(self, fn: Any, items: list[Any]) -> list[Any]:
        with ThreadPoolExecutor(max_workers=max(1, min(16, len(items)))) as pool:
            return list(pool.map(fn, items))

    def _network(self, lab: str) -> ipaddress.IPv4Network:
        name = network_name(lab)
        try:
            net = self.client.networks.get(name)
            return ipaddress.IPv4Network(net.attrs["IPAM"]["Config"][0]["Subnet"])
        except docker.errors.NotFound:
            pass
        taken = self._taken_subnets()
        for subnet in SUBNET_POOL.subnets(new_prefix=24):
            if any(subnet.overlaps(t) for t in taken):
                continue
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
                subnet=str(subnet), iprange=str(subnet.network_address + 192) + "/26",
                gateway=str(subnet.network_address + 1),
            )])
            try:
                self.client.networks.create(
                    name, driver="bridge", ipam=ipam, labels=L.for_lab(lab, "network"),
                    check_duplicate=True,
                )
                return subnet
            except docker.errors.APIError as e:
                if "overlap" in str(e).lower():
                    continue
                raise ProviderError(f"Cannot create network {name}: {e.explanation}") from e
        raise ProviderError(
            f"No free /24 left in {SUBNET_POOL} for the lab network. Remove unused labs "
            "(`swarmlab down --name NAME`) or unused Docker networks (`docker network prune`)."
        )

    def _taken_subnets(self) -> list[ipaddress.IPv4Network]:
        taken = []
        for net in self.client.networks.list():
            for cfg in (net.attrs.get("IPAM") or {}).get("Config") or []:
                with contextlib.suppress(ValueError):
                    taken.append(ipaddress.IPv4Network(cfg.get("Subnet", ""), strict=False))
        taken.extend(_host_routes())
        return taken

    def _run_node(
        self, lab: str, node: NodeSpec, subnet: ipaddress.IPv4Network, privileged: bool
    ) -> Node:
        api = self.client.api
        addr = node_address(subnet, node)
        cname = container_name(lab, node.name)
        vol = volume_name(lab, node.name)
        self.client.volumes.create(vol, labels=L.for_lab(lab, "volume", node=node.name))
        host_config = api.create_host_config(
            binds={vol: {"bind": "/var/lib/docker", "mode": "rw"}},
            tmpfs={"/run": "", "/tmp": ""},
            init=True,
            restart_policy={"Name": "unless-stopped"},
            cgroupns="private",
            **(_privileged_opts() if privileged else _capability_opts()),
        )
        # The CLI's `--security-opt systempaths=unconfined`: nothing masked or read-only in /proc.
        host_config["MaskedPaths"] = []
        host_config["ReadonlyPaths"] = []
        labels = L.for_lab(lab, "node", node=node.name, role=node.role, address=addr)
        labels[L.IMAGE_HASH] = current_hash(self.client, NODE) or ""
        try:
            created = api.create_container(
                NODE.tag, name=cname, hostname=node.name, labels=labels, detach=True,
                host_config=host_config, environment=self._node_env(), stop_signal="SIGTERM",
                stop_timeout=20,
                networking_config=api.create_networking_config(
                    {network_name(lab): api.create_endpoint_config(ipv4_address=addr)}
                ),
            )
            api.start(created["Id"])
        except docker.errors.APIError as e:
            raise ProviderError(
                f"Cannot start node {node.name}: {e.explanation}. Run `swarmlab doctor` "
                "to see what this host lacks."
            ) from e
        return Node(node.name, node.role, addr, ExecTransport(self.client, cname, node.name), cname)

    def _node_env(self) -> dict[str, str]:
        return {"SWARMLAB_SSH_PUBKEY": self.ssh_pubkey} if self.ssh_pubkey else {}

    def wait_engine(self, node: Node, timeout: float = 60) -> None:
        """Until ``docker version`` answers inside the node; fail early if it died."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            res = node.run("docker version -f '{{.Server.Version}}'", timeout=10)
            if res.ok:
                return
            last = (res.stderr or res.stdout).strip()
            c = self.client.containers.get(node.provider_id)
            if c.status in ("exited", "dead"):
                logs = c.logs(tail=15).decode(errors="replace")
                raise ProviderError(
                    f"Node {node.name} stopped while its dockerd was starting:\n{logs}\n"
                    "Run `swarmlab doctor` to check what this host lacks."
                )
            time.sleep(0.2)
        raise WaitTimeout(
            f"dockerd in {node.name}", timeout, last,
            f"see `docker logs {node.provider_id}`",
        )

    # ----- privilege ---------------------------------------------------------------
    def privileged_works(self) -> bool:
        """Whether ``--privileged`` runs here (it does not in some sandboxes); probed once."""
        forced = os.environ.get("SWARMLAB_PRIVILEGED", "auto").lower()
        if forced in ("0", "1", "no", "yes"):
            return forced in ("1", "yes")
        key = self.client.info().get("ID", "")
        if key not in _PRIVILEGE_CACHE:
            _PRIVILEGE_CACHE[key] = self._probe_privileged()
        return _PRIVILEGE_CACHE[key]

    def _probe_privileged(self) -> bool:
        api = self.client.api
        probe = api.create_container(
            NODE.tag, entrypoint=["true"], labels={L.KIND: "probe", L.LAB: "-probe-"},
            host_config=api.create_host_config(privileged=True, network_mode="none"),
        )
        try:
            api.start(probe["Id"])
            return api.wait(probe["Id"], timeout=30).get("StatusCode") == 0
        except docker.errors.APIError:
            return False
        finally:
            api.remove_container(probe["Id"], v=True, force=True)

    # ----- power -------------------------------------------------------------------
    def _container(self, lab: str, node: str) -> Any:
        try:
            return self.client.containers.get(container_name(lab, node))
        except docker.errors.NotFound:
            from swarmlab.errors import ClusterNotFound

            raise ClusterNotFound(
                f"Lab {lab!r} has no node {node!r}. Nodes: "
                f"{', '.join(n.name for n in self.find(lab)) or 'none'}."
            ) from None

    def stop(self, lab: str, node: str) -> None:
        self._container(lab, node).stop(timeout=20)

    def start(self, lab: str, node: str) -> None:
        c = self._container(lab, node)
        c.start()
        labels = c.labels
        self.wait_engine(self._node(labels))

    def remove(self, lab: str, node: str) -> None:
        c = self._container(lab, node)
        c.remove(force=True, v=True)
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
        gone = 0
        conts = self.client.containers.list(all=True, filters={"label": f"{L.LAB}={lab}"},
                                            ignore_removed=True)

        def kill(c: Any) -> None:
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True, v=True)

        self._parallel(kill, conts)
        gone += len(conts)
        for net in self.client.networks.list(filters={"label": f"{L.LAB}={lab}"}):
            try:
                net.remove()
                gone += 1
            except docker.errors.NotFound:
                pass
        return gone + self._remove_volumes(lab)

    def load_images(self, nodes: list[Node], tags: list[str]) -> None:
        load_images(self.client, nodes, tags)


def _capability_opts() -> dict[str, Any]:
    # Everything dockerd needs, minus CAP_SYS_RESOURCE (absent in some sandboxes).
    return {
        "cap_add": ["ALL"], "cap_drop": ["SYS_RESOURCE"], "security_opt": SECURITY_OPTS,
        "device_cgroup_rules": ["a *:* rwm"],
    }


def _privileged_opts() -> dict[str, Any]:
    return {"privileged": True, "security_opt": SECURITY_OPTS}


def _host_routes() -> list[ipaddress.IPv4Network]:
    """IPv4 routes of the host (not default), so the lab subnet never shadows one."""
    nets = []
    try:
        with open("/proc/net/route") as f:
            next(f)
            for line in f:
                parts = line.split()
                dest, mask = int(parts[1], 16), int(parts[7], 16)
                if mask == 0:
                    continue
                d = ipaddress.IPv4Address(dest.to_bytes(4, "little"))
                m = ipaddress.IPv4Address(mask.to_bytes(4, "little"))
                nets.append(ipaddress.IPv4Network(f"{d}/{m}", strict=False))
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    return nets


__all__ = ["DindProvider", "SwarmLabError"]
