"""What the ssh provider does on a host: find its swarm address, and clean up after a lab."""

from __future__ import annotations

import ipaddress
import shlex

from swarmlab.errors import ConnectError, SpecError
from swarmlab.images.build import LAB_IMAGE_TAGS
from swarmlab.node import Node
from swarmlab.providers.ssh.inventory import Host

# Addresses of NAT interfaces that every VM of a kind has (qemu user-mode, VirtualBox NAT):
# never a swarm address, since every node would advertise the same one.
NAT_ADDRESSES = {"10.0.2.15"}


def advertise_address(node: Node, host: Host) -> str:
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


def clean_host(node: Node) -> int:
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


def is_loopback(address: str) -> bool:
    """An address of this machine's loopback (SSH then comes through a forward)."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def _docker_iface(name: str) -> bool:
    return name.startswith(("docker", "br-", "veth", "vxlan", "cni", "flannel"))


def _listing(addrs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{a} on {i}" for i, a in addrs) or "no IPv4 address"


__all__ = ["NAT_ADDRESSES", "advertise_address", "clean_host", "is_loopback"]
