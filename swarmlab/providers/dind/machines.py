"""Node containers: how one is run (privileges, storage, address) and named."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import time
from typing import Any

import docker.errors

from swarmlab.errors import ImageError, ProviderError
from swarmlab.images.build import NODE, current_hash, is_current
from swarmlab.node import Node
from swarmlab.providers import labels as L
from swarmlab.providers.common import host_number
from swarmlab.providers.dind.network import network_name
from swarmlab.spec import NodeSpec
from swarmlab.transport.exec import ExecTransport

SECURITY_OPTS = ["seccomp=unconfined", "apparmor=unconfined"]
_PRIVILEGE_CACHE: dict[str, bool] = {}


def container_name(lab: str, node: str) -> str:
    return f"swarmlab-{lab}-{node}"


def volume_name(lab: str, node: str) -> str:
    return f"swarmlab-{lab}-{node}-docker"


def node_address(subnet: ipaddress.IPv4Network, node: NodeSpec) -> str:
    """Fixed per node, so a manager that restarts keeps the address it advertised."""
    return str(subnet.network_address + host_number(node))


def node_from_labels(client: Any, labels: dict[str, str]) -> Node:
    """The ``Node`` a node container's labels describe."""
    lab, name = labels[L.LAB], labels[L.NODE]
    cname = container_name(lab, name)
    return Node(name, labels[L.ROLE], labels[L.ADDRESS], ExecTransport(client, cname, name), cname)


def require_node_image(client: Any) -> None:
    """``ImageError`` when swarmlab/node is not built; a note when it is older than its recipe."""
    if current_hash(client, NODE) is None:
        raise ImageError(
            "The node image swarmlab/node is not built. Run `swarmlab images build` "
            "(about 2 minutes the first time)."
        )
    if not is_current(client, NODE):
        # Usable, but say so: a rebuild picks up recipe changes.
        print("[swarmlab] note: swarmlab/node is older than its recipe; "
              "`swarmlab images build` refreshes it.")


def run_node(client: Any, lab: str, node: NodeSpec, subnet: ipaddress.IPv4Network,
             privileged: bool, env: dict[str, str]) -> Node:
    """Create and start one node container with its own /var/lib/docker volume."""
    api = client.api
    addr = node_address(subnet, node)
    cname = container_name(lab, node.name)
    vol = volume_name(lab, node.name)
    client.volumes.create(vol, labels=L.for_lab(lab, "volume", node=node.name))
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
    labels[L.IMAGE_HASH] = current_hash(client, NODE) or ""
    try:
        created = api.create_container(
            NODE.tag, name=cname, hostname=node.name, labels=labels, detach=True,
            host_config=host_config, environment=env, stop_signal="SIGTERM",
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
    return Node(node.name, node.role, addr, ExecTransport(client, cname, node.name), cname)


def privileged_works(client: Any) -> bool:
    """Whether ``--privileged`` runs here (it does not in some sandboxes); probed once."""
    forced = os.environ.get("SWARMLAB_PRIVILEGED", "auto").lower()
    if forced in ("0", "1", "no", "yes"):
        return forced in ("1", "yes")
    key = client.info().get("ID", "")
    if key not in _PRIVILEGE_CACHE:
        _PRIVILEGE_CACHE[key] = _probe_privileged(client)
    return _PRIVILEGE_CACHE[key]


PROBE_MAX_AGE_S = 120  # a probe lives a second or two: an older one was left by an interrupt


def _probe_privileged(client: Any) -> bool:
    """Run ``true`` in a ``--privileged`` container. The container is named before it is
    made, so an interrupt (Ctrl-C in ``swarmlab up``) while the engine is still making it
    can remove it by name; one the engine finished after that is removed by the next
    probe (``_remove_stale_probes``)."""
    api = client.api
    _remove_stale_probes(api)
    name = f"swarmlab-probe-{os.getpid()}-{time.monotonic_ns() % 10**9}"
    try:
        api.create_container(  # an error here is the caller's (no node image, no engine)
            NODE.tag, name=name, entrypoint=["true"],
            labels={L.KIND: "probe", L.LAB: L.PROBE_LAB},
            host_config=api.create_host_config(privileged=True, network_mode="none"),
        )
        try:
            api.start(name)
            return api.wait(name, timeout=30).get("StatusCode") == 0
        except docker.errors.APIError:  # refused to start privileged: the answer is no
            return False
    finally:
        with contextlib.suppress(docker.errors.APIError):
            api.remove_container(name, v=True, force=True)


def _remove_stale_probes(api: Any) -> None:
    now = time.time()
    for c in api.containers(all=True, filters={"label": f"{L.KIND}=probe"}):
        if now - float(c.get("Created", now)) > PROBE_MAX_AGE_S:
            with contextlib.suppress(docker.errors.APIError):
                api.remove_container(c["Id"], v=True, force=True)


def _capability_opts() -> dict[str, Any]:
    # Everything dockerd needs, minus CAP_SYS_RESOURCE (absent in some sandboxes).
    return {
        "cap_add": ["ALL"], "cap_drop": ["SYS_RESOURCE"], "security_opt": SECURITY_OPTS,
        "device_cgroup_rules": ["a *:* rwm"],
    }


def _privileged_opts() -> dict[str, Any]:
    return {"privileged": True, "security_opt": SECURITY_OPTS}


__all__ = ["container_name", "node_address", "node_from_labels", "privileged_works",
           "require_node_image", "run_node", "volume_name"]
