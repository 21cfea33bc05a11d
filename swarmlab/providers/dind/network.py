"""The lab's bridge network on the host engine: a free /24 that shadows no host route."""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

import docker.errors
import docker.types

from swarmlab import host
from swarmlab.errors import ProviderError
from swarmlab.providers import labels as L

SUBNET_POOL = ipaddress.IPv4Network("172.29.0.0/16")


def network_name(lab: str) -> str:
    return f"swarmlab-{lab}"


def lab_subnet(client: Any, lab: str) -> ipaddress.IPv4Network | None:
    """The subnet of the lab's network, or None when the lab has no network."""
    try:
        net = client.networks.get(network_name(lab))
    except docker.errors.NotFound:
        return None
    return ipaddress.IPv4Network(net.attrs["IPAM"]["Config"][0]["Subnet"])


def ensure_network(client: Any, lab: str) -> ipaddress.IPv4Network:
    """The lab's network (made in the first free /24 of the pool); its subnet."""
    subnet = lab_subnet(client, lab)
    if subnet is not None:
        return subnet
    name = network_name(lab)
    taken = taken_subnets(client)
    for subnet in SUBNET_POOL.subnets(new_prefix=24):
        if any(subnet.overlaps(t) for t in taken):
            continue
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
            subnet=str(subnet), iprange=str(subnet.network_address + 192) + "/26",
            gateway=str(subnet.network_address + 1),
        )])
        try:
            client.networks.create(
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


def taken_subnets(client: Any) -> list[ipaddress.IPv4Network]:
    """Subnets of every Docker network, and the host's routes."""
    taken = []
    for net in client.networks.list():
        for cfg in (net.attrs.get("IPAM") or {}).get("Config") or []:
            with contextlib.suppress(ValueError):
                taken.append(ipaddress.IPv4Network(cfg.get("Subnet", ""), strict=False))
    taken.extend(host.routes())
    return taken


__all__ = ["SUBNET_POOL", "ensure_network", "lab_subnet", "network_name", "taken_subnets"]
