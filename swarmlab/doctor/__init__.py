"""Preflight: each item PASS / WARN / FAIL with the fix in one line.

Every item is a pure function of what a probe read (``docker info``, /proc files, a
test node's answers, the host's facts), so each can be unit-tested on a faked or
recorded input; ``run_doctor`` gathers the real inputs. ``items`` has the engine, node
and resource items; ``hosts`` the kind of host (Linux, rootless, Docker Desktop, WSL2,
an old Docker).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from swarmlab import engine, host
from swarmlab.doctor import hosts, items
from swarmlab.doctor.hosts import docker_facts, engine_item, host_items, is_desktop
from swarmlab.doctor.items import (
    Item,
    bridge_nf_item,
    cgroup_item,
    graphviz_item,
    images_item,
    ipsec_item,
    ipvs_item,
    resources_item,
    storage_item,
    subnet_item,
)
from swarmlab.errors import SwarmLabError
from swarmlab.images import image_table
from swarmlab.lab import Lab
from swarmlab.node import Node
from swarmlab.providers.dind import NODE_MIB, DindProvider


def __getattr__(name: str) -> Any:
    """Every item of ``hosts`` and ``items`` as ``doctor.<name>`` (``doctor.kind``, ...)."""
    for module in (hosts, items):
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def gather(client: Any, privileged: bool | None = None) -> dict[str, Any]:
    """This host's facts: ``host.facts()`` and the engine's (see ``hosts``)."""
    return {"host": host.facts(),
            "docker": docker_facts(client.info(), client.version(), privileged)}


def _run_a_container(node: Node, where: str) -> dict[str, str]:
    """What a node answers when it runs a container: "ok" or why not, and its storage."""
    task = node.run("docker run --rm swarmlab/tools:latest true", timeout=120)
    driver = node.run("docker info -f '{{.Driver}}'").stdout.strip()
    why = task.stderr.strip() or task.stdout.strip() or "no output"
    if task.exit_code == 124:
        why = "no answer within 120s (is the machine overloaded?)"
    return {"task": "ok" if task.ok else f"exit {task.exit_code}: {why}", "driver": driver,
            "where": where}


def probe_node(client: Any, lab: str = "") -> dict[str, str] | None:
    """Run a container inside a node and report. The node is a running node of ``lab`` when
    that dind lab is up (the nodes the learner uses, and no second node to start: on a slow
    machine that takes most of doctor's time); else a throwaway node, always removed."""
    prov = DindProvider(client)
    # One list of the lab's containers (a lab that is not there has none).
    node = next(iter(prov.find(lab, running_only=True)), None) if lab else None
    if node is not None:
        with contextlib.suppress(SwarmLabError):
            return _run_a_container(node, f"node {node.name} of lab {lab}")
    name = f"doctor-{os.getpid()}"
    try:
        test = Lab.up(name, 1, 0, form_swarm=False, quiet=True)
        return _run_a_container(test.nodes[0], "a test node")
    except SwarmLabError:
        return None
    finally:
        prov.delete(name)


def _engine_items(client: Any, lab: str, nodes: int, deep: bool) -> list[Item]:
    info = client.info()
    rows = image_table(client)
    node_ok = any(r["state"] != "missing" for r in rows if "node" in r["image"])
    prov = DindProvider(client)
    facts = gather(client, prov.privileged_works() if node_ok else None)
    kinds = host_items(facts, nodes * NODE_MIB)  # host, engine, rootless, cgroups, privileges
    items = [*kinds, images_item(rows)]
    if kinds[1].status == "FAIL":
        return items  # too old to make a test node with
    probe = probe_node(client, lab) if (deep and node_ok) else None
    items += [cgroup_item(info, probe), storage_item(str(info.get("Driver")), probe)]
    root = info.get("DockerRootDir") or "/var/lib/docker"
    disk = shutil.disk_usage(root if Path(root).exists() else "/").free // 2**20
    # Docker Desktop's nodes live in its VM: its memory, not the host's, is what counts
    mem = facts["docker"]["mem_total"] // 1024 if is_desktop(facts) else host.mem_available_kib()
    items.append(resources_item(mem, disk, nodes, node_ok))
    items.append(subnet_item(prov.lab_subnet(lab), host.routes()))
    return items


def run_doctor(lab: str = "default", nodes: int = 3, echo: Callable[[str], None] = print,
               deep: bool = True) -> bool:
    """Print every item; True when nothing FAILs."""
    items: list[Item] = []
    try:
        client = engine.connect(timeout=10)
    except SwarmLabError as e:
        client = None
        items.append(engine_item(None, str(e).splitlines()[0]))
    if client is not None:
        items += _engine_items(client, lab, nodes, deep)
    if host.facts()["platform"] == "linux":  # elsewhere /proc is not the nodes' kernel's
        items.append(ipvs_item(*host.ipvs()))
        items.append(ipsec_item(*host.ipsec()))
        items.append(bridge_nf_item(host.bridge_nf_call_iptables()))
    items.append(graphviz_item(shutil.which("dot")))
    for item in items:
        echo(item.line())
    return all(i.status != "FAIL" for i in items)
