"""ssh: a lab on machines that already exist and run Docker, listed in an inventory.

An inventory (YAML) names each host's SSH address, user, key and role::

    defaults: {user: root, key: ~/.ssh/lab_ed25519, port: 22}
    hosts:
      - {name: manager1, address: 203.0.113.10, advertise: 10.0.0.10}
      - {name: worker1,  address: 203.0.113.11, interface: eth1}
      - {name: worker2,  address: 10.0.0.12, sudo: true, user: student}

``advertise`` is the address the swarm uses between nodes; ``interface`` says where to
read it; with neither the kit detects it (the SSH address when the host owns it, else
its only private address) and asks when it cannot tell. The kit keeps a copy of the
inventory and the hosts' SSH keys in the lab's folder (``~/.cache/swarmlab/ssh/<lab>``),
which is how ``Lab.connect`` finds the lab again. It cannot power real hosts: ``stop``
and ``start`` stop and start the Docker engine (systemd hosts).
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from swarmlab.errors import ClusterNotFound, ConnectError, ProviderError, SpecError, WaitTimeout
from swarmlab.images.build import LAB_IMAGE_TAGS
from swarmlab.node import Node
from swarmlab.progress import Steps
from swarmlab.providers.base import HostEngineClient
from swarmlab.spec import ClusterSpec, NodeSpec
from swarmlab.transport.ssh import SSHTransport, cache_root, known_hosts_path, private_dir

RECORD = "inventory.yaml"
# Addresses of NAT interfaces that every VM of a kind has (qemu user-mode, VirtualBox NAT):
# never a swarm address, since every node would advertise the same one.
NAT_ADDRESSES = {"10.0.2.15"}


@dataclass(frozen=True)
class Host:
    """One inventory entry, validated, with the key path made absolute."""

    name: str
    role: str
    address: str
    user: str = "root"
    port: int = 22
    key: str = ""
    advertise: str = ""
    interface: str = ""
    sudo: bool = False


def load_inventory(path: str | Path) -> list[Host]:
    """Read and validate an inventory file (``SpecError`` saying what is wrong)."""
    p = Path(path).expanduser()
    try:
        data = yaml.safe_load(p.read_text())
    except OSError as e:
        raise SpecError(f"Cannot read the inventory {p}: {e.strerror}.") from None
    except yaml.YAMLError as e:
        raise SpecError(f"The inventory {p} is not valid YAML: {e}") from None
    return parse_inventory(data, base=p.parent)


def parse_inventory(data: Any, base: Path = Path(".")) -> list[Host]:
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), list):
        raise SpecError("An inventory needs a `hosts:` list (see swarmlab/providers/ssh.py).")
    defaults = data.get("defaults") or {}
    hosts: list[Host] = []
    counts = {"manager": 0, "worker": 0}
    for i, raw in enumerate(data["hosts"], 1):
        if not isinstance(raw, dict):
            raise SpecError(f"Inventory host #{i} must be a mapping, not {raw!r}.")
        entry = {**defaults, **raw}
        unknown = set(entry) - {f for f in Host.__dataclass_fields__} - {"role"}
        if unknown:
            raise SpecError(f"Inventory host #{i}: unknown field(s) {', '.join(sorted(unknown))}.")
        role = str(entry.get("role") or str(entry.get("name", "worker")).rstrip("0123456789"))
        if role not in counts:
            raise SpecError(f"Inventory host #{i}: role must be manager or worker, not {role!r}.")
        counts[role] += 1
        name = str(entry.get("name") or f"{role}{counts[role]}")
        spec = NodeSpec.parse(name)
        if spec.role != role:
            raise SpecError(f"Inventory host {name!r} has role {role!r}: names say the role.")
        if not entry.get("address"):
            raise SpecError(f"Inventory host {name!r} needs an `address` to SSH to.")
        key = str(entry.get("key") or "")
        if key:
            key = str((base / Path(key).expanduser()).resolve())
        hosts.append(Host(
            name=name, role=role, address=str(entry["address"]),
            user=str(entry.get("user", "root")), port=int(entry.get("port", 22)), key=key,
            advertise=str(entry.get("advertise") or ""),
            interface=str(entry.get("interface") or ""), sudo=bool(entry.get("sudo", False)),
        ))
    names = [h.name for h in hosts]
    if len(set(names)) != len(names):
        raise SpecError(f"Inventory host names repeat: {', '.join(names)}.")
    if not any(h.role == "manager" for h in hosts):
        raise SpecError("The inventory needs at least one manager (name: manager1).")
    return hosts


class SshProvider(HostEngineClient):
    """Machines listed in an inventory; the kit only adds a swarm and lab images."""

    name = "ssh"
    folder = "ssh"  # under the cache root: the lab's record (and, for ssh, its keys)

    def __init__(self, inventory: str | Path | None = None, client: Any = None) -> None:
        inventory = inventory or os.environ.get("SWARMLAB_INVENTORY")
        self.hosts = load_inventory(inventory) if inventory else None
        self._client = client

    # ----- the lab's record -----------------------------------------------------------
    def _record(self, lab: str) -> Path:
        return cache_root() / self.folder / lab / RECORD

    def _lab_dir(self, lab: str) -> Path:
        private_dir(cache_root() / self.folder)
        return private_dir(cache_root() / self.folder / lab)

    def _read(self, lab: str) -> dict[str, Any]:
        p = self._record(lab)
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

    def labs(self) -> list[str]:
        root = cache_root() / self.folder
        return sorted(p.parent.name for p in root.glob(f"*/{RECORD}")) if root.is_dir() else []

    def find(self, lab: str) -> list[Node]:
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

    # ----- creating -----------------------------------------------------------------------
    def create(self, spec: ClusterSpec, steps: Steps) -> list[Node]:
        hosts = self._hosts(spec.name)
        chosen = [self._host(hosts, n) for n in spec.nodes]
        self._save(spec.name, {"hosts": [asdict(h) for h in hosts], "used": []})
        with steps.step(f"reach {len(chosen)} hosts over SSH and their Docker engines"):
            nodes = _parallel(lambda h: self._prepare(spec.name, h), chosen)
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

    def _save_used(self, lab: str, nodes: list[Node]) -> None:
        rec = self._read(lab)
        rec["used"] = sorted({*rec.get("used", []), *(n.name for n in nodes)},
                             key=lambda n: (not n.startswith("manager"), len(n), n))
        rec.setdefault("addresses", {}).update({n.name: n.address for n in nodes})
        self._save(lab, rec)

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
        node.address = self._advertise(node, host)
        return node

    def _advertise(self, node: Node, host: Host) -> str:
        """The address this host's swarm traffic uses: given, read, or detected."""
        if host.advertise:
            return host.advertise
        res = node.run("ip -4 -o addr show scope global", timeout=15).check(
            hint="the host needs iproute2 (`ip`)")
        addrs = _addresses(res.stdout)
        if host.interface:
            found = [a for ifname, a in addrs if ifname == host.interface]
            if not found:
                raise SpecError(f"{host.name} has no IPv4 address on {host.interface!r} "
                                f"(it has {_listing(addrs)}).")
            return found[0]
        if host.address in {a for _, a in addrs}:
            return host.address
        private = [(i, a) for i, a in addrs if a not in NAT_ADDRESSES and not _docker_iface(i)]
        if len(private) == 1:
            return private[0][1]
        raise SpecError(
            f"Which address should {host.name} use for the swarm? It has {_listing(addrs)}. "
            f"Put `advertise: ADDRESS` or `interface: NAME` on it in the inventory (the "
            "private network the hosts share, not a NAT one)."
        )

    def add(self, lab: str, node: NodeSpec, steps: Steps) -> Node:
        host = self._host(self._hosts(lab), node)
        with steps.step(f"reach {node.name} over SSH"):
            new = self._prepare(lab, host)
        self._save_used(lab, [new])
        return new

    def wait_engine(self, node: Node, timeout: float = 60) -> None:
        """Until ``docker version`` answers on the host (a reachable host must have Docker)."""
        import time

        deadline = time.monotonic() + timeout
        last = ""
        while True:
            try:
                res = node.run("docker version -f '{{.Server.Version}}'", timeout=15)
                if res.ok:
                    return
                last = (res.stderr or res.stdout).strip()
            except ConnectError as e:
                last = str(e)
                if "host key" in last or "refused the SSH key" in last:
                    raise
            if time.monotonic() > deadline:
                raise WaitTimeout(
                    f"the Docker engine on {node.name}", timeout, last,
                    "the host must run Docker, and its user must be root, in the docker "
                    "group, or have `sudo: true` in the inventory",
                )
            time.sleep(1)

    def states(self, lab: str) -> dict[str, str]:
        def state(n: Node) -> str:
            try:
                return "running" if n.run("docker version -f ok", timeout=8).ok else "exited"
            except ConnectError:
                return "unreachable"

        nodes = self.find(lab)
        return dict(zip([n.name for n in nodes], _parallel(state, nodes), strict=True))

    # ----- power: the engine, since the kit cannot power real hosts -------------------------
    def stop(self, lab: str, node: str) -> None:
        self._systemctl(lab, node, "stop docker.socket docker.service")

    def start(self, lab: str, node: str) -> None:
        n = self._systemctl(lab, node, "start docker.service")
        self.wait_engine(n)

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

    def _find_one(self, lab: str, node: str) -> Node:
        for n in self.find(lab):
            if n.name == node:
                return n
        raise ClusterNotFound(f"Lab {lab!r} has no node {node!r}.")

    # ----- removing -----------------------------------------------------------------------
    def remove(self, lab: str, node: str) -> None:
        _clean_host(self._find_one(lab, node))
        rec = self._read(lab)
        rec["used"] = [u for u in rec.get("used", []) if u != node]
        self._save(lab, rec)

    def delete(self, lab: str) -> int:
        """Leave the swarm and remove the lab images on every host; forget the lab."""
        nodes = self.find(lab)
        gone = sum(_parallel(_clean_host, nodes))
        return gone + self._forget(lab)

    def _forget(self, lab: str) -> int:
        """Remove the lab's record, keys and known hosts."""
        gone = 0
        for folder in {cache_root() / self.folder / lab, cache_root() / "ssh" / lab}:
            if folder.is_dir():
                shutil.rmtree(folder)
                gone += 1
        return gone

    def load_images(self, nodes: list[Node], tags: list[str]) -> None:
        from swarmlab.images.load import load_images

        load_images(self.client, nodes, tags)


def _clean_host(node: Node) -> int:
    """What the kit put on a host: swarm membership (and its tasks), lab images."""
    images = " ".join(shlex.quote(t) for t in LAB_IMAGE_TAGS)
    script = (
        "docker swarm leave --force >/dev/null 2>&1; n=1; "
        f"for i in {images}; do docker image rm -f \"$i\" >/dev/null 2>&1 && n=$((n+1)); done; "
        "echo $n"
    )
    try:
        res = node.run(script, timeout=90)
    except ConnectError as e:
        print(f"[swarmlab] warning: {e} It may still be in the swarm; run "
              "`docker swarm leave --force` on it.")
        return 0
    out = res.stdout.strip().splitlines()
    return int(out[-1]) if out and out[-1].isdigit() else 0


def _addresses(ip_output: str) -> list[tuple[str, str]]:
    """(interface, IPv4 address) pairs from ``ip -4 -o addr show``."""
    pairs = []
    for line in ip_output.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "inet":
            try:
                pairs.append((parts[1], str(ipaddress.IPv4Interface(parts[3]).ip)))
            except ValueError:
                continue
    return pairs


def _docker_iface(name: str) -> bool:
    return name.startswith(("docker", "br-", "veth", "vxlan", "cni", "flannel"))


def _listing(addrs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{a} on {i}" for i, a in addrs) or "no IPv4 address"


def _parallel(fn: Any, items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(items)))) as pool:
        return list(pool.map(fn, items))


__all__ = ["Host", "SshProvider", "load_inventory", "parse_inventory"]
