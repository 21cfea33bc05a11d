"""Which of lab 02's nodes are managers while the swarm may have no leader, and the part of
a refused command's error a learner should read."""

from __future__ import annotations

import json

from swarmlab.checks.base import CheckContext


def manager_names(ctx: CheckContext) -> list[str]:
    """The lab nodes that are swarm managers, even while the swarm has no leader.

    A running manager's ``docker info`` lists the managers' addresses (it can hang for
    ~20 s while a leader steps down: bounded by ``timeout``). A worker's list is a stale
    cache, so it is not used. With no manager running: the roles the nodes were made with."""
    stopped = set(ctx.stopped())
    running = [n for n in ctx.lab.node_names if n not in stopped]
    by_addr = {n.address: n.name for n in ctx.lab.nodes}
    probes = ctx.probe_all(
        "timeout 5 docker info --format '{{.Swarm.ControlAvailable}} "
        "{{json .Swarm.RemoteManagers}}'", running, timeout=15)
    names: set[str] = set()
    for res in probes.values():
        control, _, listed = res.stdout.strip().partition(" ")
        if not res.ok or control != "true":
            continue
        try:
            managers = json.loads(listed)
        except json.JSONDecodeError:
            continue
        for m in managers if isinstance(managers, list) else []:
            addr = str(m.get("Addr", "")).rsplit(":", 1)[0] if isinstance(m, dict) else ""
            if addr in by_addr:
                names.add(by_addr[addr])
    if not names:
        names = {n.name for n in ctx.lab.managers}
    return [n for n in ctx.lab.node_names if n in names]


def daemon_error(text: str) -> str:
    """The part of a docker CLI error a learner should read."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.split("desc = ", 1)[-1]
