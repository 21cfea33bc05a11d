"""ssh: a lab on machines that already exist and run Docker, listed in an inventory.

The inventory (``inventory.py``) names each host's SSH address, user, key and role.
``advertise`` is the address the swarm uses between nodes; ``interface`` says where to
read it; with neither the kit detects it (``hosts.py``: the SSH address when the host
owns it, else its only private address) and asks when it cannot tell. The kit keeps a
copy of the inventory and the hosts' SSH keys in the lab's folder
(``~/.cache/swarmlab/ssh/<lab>``), which is how ``Lab.connect`` finds the lab again. It
cannot power real hosts: ``stop`` and ``start`` stop and start the Docker engine
(systemd hosts).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from swarmlab.errors import ClusterNotFound, ConnectError, ProviderError, SpecError
from swarmlab.node import Node, order_key
from swarmlab.paths import cache_dir, cache_root, known_hosts_path
from swarmlab.progress import Steps
from swarmlab.providers.base import HostEngineImages
from swarmlab.providers.common import parallel, wait_engine
from swarmlab.providers.ssh.hosts import advertise_address, clean_host, is_loopback
from swarmlab.providers.ssh.inventory import Host, load_inventory, parse_inventory
from swarmlab.spec import ClusterSpec, NodeSpec
from swarmlab.transport.ssh import SSHTransport

RECORD = "inventory.yaml"


class SshProvider(HostEngineImages):
    """Machines listed in an inventory; the kit only adds a swarm and lab images."""

    name = "ssh"
    folder = "ssh"  # under the cache root: the lab's record (and, for ssh, its keys)

    def __init__(self, inventory: str | Path | None = None, client: Any = None) -> None:
        inventory = inventory or os.environ.get("SWARMLAB_INVENTORY")
        self.hosts = load_inventory(inventory) if inventory else None
        self._client = client

    def check_capacity(self, count: int) -> None:
        """Nothing to check: the hosts exist already."""

    # ----- the lab's record -----------------------------------------------------------
    def _lab_dir(self, lab: str) -> Path:
        return cache_dir(self.folder, lab)

    def _read(self, lab: str) -> dict[str, Any]:
        p = cache_root() / self.folder / lab / RECORD
        if not p.is_file():
            return {}
        data = yaml.safe_load(p.read_text()) or {}
        return data if isinstance(data, dict) else {}

    def _save(self, lab: str, rec: dict[str, Any]) -> None:
        p = self._lab_dir(lab) / RECORD
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(yaml.safe_dump(rec))

    def _hosts(self, lab: str) -> list[Host]:
        rec = self._read(lab)
        if rec:
            return [Host(**h) for h in rec.get("hosts", [])]
        if self.hosts is None:
            raise SpecError(
                "The ssh provider needs an inventory: Lab.up(..., provider_obj="
                "SshProvider('hosts.yaml')) or SWARMLAB_INVENTORY=hosts.yaml."
            )
        return list(self.hosts)

    def _save_used(self, lab: str, nodes: list[Node]) -> None:
        rec = self._read(lab)
        rec["used"] = sorted({*rec.get("used", []), *(n.name for n in nodes)},
                             key=lambda n: order_key(n, "manager" if n.startswith("manager")
                                                     else "worker"))
        rec.setdefault("addresses", {}).update({n.name: n.address for n in nodes})
        self._save(lab, rec)

    # ----- finding ----------------------------------------------------------------------
    def labs(self) -> list[str]:
        """Labs the kit has a record of (one folder each, with the inventory it used)."""
        root = cache_root() / self.folder
        return sorted(p.parent.name for p in root.glob(f"*/{RECORD}")) if root.is_dir() else []

    def find(self, lab: str) -> list[Node]:
        """The hosts the lab uses, from its record, managers first."""
        rec = self._read(lab)
        hosts = {h["name"]: Host(**h) for h in rec.get("hosts", [])}
        addrs = rec.get("addresses", {})
        return [self._node(lab, hosts[n], addrs.get(n, "")) for n in rec.get("used", [])
                if n in hosts]

    def _node(self, lab: str, host: Host, address: str) -> Node:
        t = SSHTransport(host.address, port=host.port, user=host.user, key_path=host.key,
                         known_hosts=known_hosts_path(lab), node=host.name, sudo=host.sudo)
        return Node(host.name, host.role, address or host.advertise or host.address, t,
                    f"{host.user}@{host.address}:{host.port}")

    def _find_one(self, lab: str, node: str) -> Node:
        for n in self.find(lab):
            if n.name == node:
                return n
        raise ClusterNotFound(f"Lab {lab!r} has no node {node!r}.")

    def states(self, lab: str) -> dict[str, str]:
        """Node -> running (its engine answers), exited (it does not) or unreachable."""
        def state(n: Node) -> str:
            try:
                return "running" if n.run("docker version -f ok", timeout=8).ok else "exited"
            except ConnectError:
                return "unreachable"

        nodes = self.find(lab)
        return dict(zip([n.name for n in nodes], parallel(state, nodes), strict=True))

    # ----- creating -----------------------------------------------------------------------
    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        """Reach every host the spec names over SSH, and its Docker engine."""
        hosts = self._hosts(spec.name)
        chosen = [self._host(hosts, n) for n in spec.nodes]
        self._save(spec.name, {"hosts": [asdict(h) for h in hosts], "used": []})
        with steps.step(f"reach {len(chosen)} hosts over SSH and their Docker engines"):
            nodes = parallel(lambda h: self._prepare(spec.name, h), chosen)
        self._save_used(spec.name, nodes)
        return nodes

    def _host(self, hosts: list[Host], want: NodeSpec) -> Host:
        for h in hosts:
            if h.name == want.name:
                return h
        raise SpecError(
            f"The inventory has no host {want.name!r} (it has {', '.join(h.name for h in hosts)}). "
            "Add one, or ask for fewer managers/workers."
        )

    def _prepare(self, lab: str, host: Host) -> Node:
        node = self._node(lab, host, "")
        self.wait_engine(node, timeout=30)
        hostname = node.run("hostname", timeout=15).check().stdout.strip()
        if hostname != host.name:
            raise SpecError(
                f"Host {host.address} is called {hostname!r}, but the inventory calls it "
                f"{host.name!r}; the swarm lists nodes by host name, so they must match. "
                f"Rename it (`hostnamectl set-hostname {host.name}`) or fix the inventory."
            )
        node.address = advertise_address(node, host)
        return node

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        """Use one more host of the lab's inventory."""
        host = self._host(self._hosts(lab), node)
        with steps.step(f"reach {node.name} over SSH"):
            new = self._prepare(lab, host)
        self._save_used(lab, [new])
        return new

    def wait_engine(self, node: Node, timeout: float = 60) -> None:
        """Until ``docker version`` answers on the host (a reachable host must have Docker)."""
        wait_engine(
            node, what=f"the Docker engine on {node.name}", timeout=timeout, interval=1,
            fatal=("host key", "refused the SSH key"),
            hint="the host must run Docker, and its user must be root, in the docker "
                 "group, or have `sudo: true` in the inventory",
        )

    def reach(self, lab: str, node: str, port: int) -> tuple[str, int]:
        """The host's own address: the one SSH uses, or the swarm's address when SSH comes
        through a forward on this machine's loopback (then only SSH is forwarded; Vagrant
        with VirtualBox does that, its private network reaches the VM)."""
        n = self._find_one(lab, node)
        ssh = next(h["address"] for h in self._read(lab)["hosts"] if h["name"] == node)
        return (n.address if is_loopback(ssh) else ssh), port

    # ----- power: the engine, since the kit cannot power real hosts -------------------------
    def stop(self, lab: str, node: str) -> None:
        """Stop Docker on the host (systemctl): the kit cannot power real hosts."""
        self._systemctl(lab, node, "stop docker.socket docker.service")

    def start(self, lab: str, node: str) -> None:
        """Start Docker on the host again and wait for it."""
        n = self._systemctl(lab, node, "start docker.service")
        self.wait_engine(n)

    def start_many(self, lab: str, nodes: list[str]) -> None:
        """Start Docker on the hosts side by side."""
        parallel(lambda n: self.start(lab, n), nodes)

    def _systemctl(self, lab: str, node: str, action: str) -> Node:
        n = self._find_one(lab, node)
        res = n.run(f"command -v systemctl >/dev/null && systemctl {action}", timeout=60)
        if not res.ok:
            raise ProviderError(
                f"The ssh provider cannot power real hosts on or off; it stops and starts "
                f"Docker instead, with systemctl, which failed on {node}: "
                f"{(res.stderr or res.stdout).strip()[-200:] or 'no systemctl'}. "
                f"Stop the engine by hand on that host, or use the dind or vm provider."
            )
        return n

    # ----- removing -----------------------------------------------------------------------
    def remove(self, lab: str, node: str) -> None:
        """Take the host out of the lab: leave the swarm, remove lab images, forget it."""
        clean_host(self._find_one(lab, node))
        rec = self._read(lab)
        rec["used"] = [u for u in rec.get("used", []) if u != node]
        self._save(lab, rec)

    def delete(self, lab: str) -> int:
        """Leave the swarm and remove the lab images on every host; forget the lab."""
        nodes = self.find(lab)
        gone = sum(parallel(clean_host, nodes))
        return gone + self._forget(lab)

    def _forget(self, lab: str) -> int:
        """Remove the lab's record, keys and known hosts."""
        gone = 0
        for folder in {cache_root() / self.folder / lab, cache_root() / "ssh" / lab}:
            if folder.is_dir():
                shutil.rmtree(folder)
                gone += 1
        return gone


__all__ = ["Host", "SshProvider", "load_inventory", "parse_inventory"]
