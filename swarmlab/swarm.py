"""Forming and inspecting the swarm through ``node.run()`` only: works on any provider."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from swarmlab.errors import SwarmError, WaitTimeout
from swarmlab.node import Node


@dataclass(frozen=True)
class NodeRow:
    """One line of ``docker node ls`` as JSON."""

    hostname: str
    status: str  # Ready / Down / Unknown
    availability: str  # Active / Pause / Drain
    manager_status: str  # "" / Leader / Reachable / Unreachable
    engine: str
    node_id: str

    @property
    def is_leader(self) -> bool:
        return self.manager_status == "Leader"


def swarm_state(node: Node) -> str:
    """``inactive``, ``pending``, ``active``, ``error`` or ``locked`` as this node sees it."""
    res = node.run("docker info -f '{{.Swarm.LocalNodeState}}'", timeout=20)
    return res.stdout.strip() if res.ok else "unreachable"


def init(manager: Node) -> None:
    """``docker swarm init`` on ``manager``, advertising its lab address."""
    if swarm_state(manager) == "active":
        return
    addr = manager.address
    manager.run(
        f"docker swarm init --advertise-addr {addr} --listen-addr {addr}:2377", timeout=60
    ).check(hint=f"{manager.name} must be able to bind {addr}:2377")


def join_token(manager: Node, role: str) -> str:
    res = manager.run(f"docker swarm join-token -q {role}", timeout=20).check()
    return res.stdout.strip()


TRANSIENT = ("connection refused", "context deadline exceeded", "unavailable", "i/o timeout")


def join(node: Node, token: str, manager: Node, attempts: int = 5) -> None:
    """Join ``node`` to the swarm at ``manager``; retry while a just-made manager warms up."""
    state = swarm_state(node)
    if state == "active":
        return
    if state in ("pending", "error"):
        # A join that never finished (or one to an older swarm) blocks a new one.
        node.run("docker swarm leave --force", timeout=30)
    cmd = (
        f"docker swarm join --advertise-addr {node.address} --listen-addr {node.address}:2377 "
        f"--token {shlex.quote(token)} {manager.address}:2377"
    )
    for attempt in range(attempts):
        res = node.run(cmd, timeout=90)
        if res.ok:
            return
        err = res.stderr.lower()
        if attempt + 1 < attempts and any(t in err for t in TRANSIENT):
            if swarm_state(node) in ("pending", "error"):
                node.run("docker swarm leave --force", timeout=30)
            time.sleep(1 + attempt)
            continue
        break
    # Never echo the token: it is a credential.
    raise SwarmError(
        f"{node.name} could not join the swarm at {manager.address}:2377: "
        f"{res.stderr.replace(token, '<token>').strip()[-400:]}"
    )


def form(nodes: Sequence[Node], log: Callable[[str], None] | None = None) -> None:
    """Init on the first manager; join managers one by one and workers in parallel."""
    managers = [n for n in nodes if n.role == "manager"]
    workers = [n for n in nodes if n.role == "worker"]
    if not managers:
        raise SwarmError("A swarm needs at least one manager.")
    first = managers[0]
    init(first)
    wtoken = join_token(first, "worker")
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(workers) + 1))) as pool:
        futs = [pool.submit(join, w, wtoken, first) for w in workers]
        if len(managers) > 1:
            mtoken = join_token(first, "manager")
            for m in managers[1:]:
                join(m, mtoken, first)
        for f in futs:
            f.result()


def node_rows(manager: Node, timeout: float = 20) -> list[NodeRow]:
    """``docker node ls`` on a manager, parsed. Raises ``SwarmError`` when it fails."""
    res = manager.run("docker node ls --format '{{json .}}'", timeout=timeout)
    if not res.ok:
        raise SwarmError(f"`docker node ls` on {manager.name} failed: {res.stderr.strip()}")
    rows = []
    for line in res.stdout.splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append(NodeRow(
                d.get("Hostname", ""), d.get("Status", ""), d.get("Availability", ""),
                d.get("ManagerStatus", ""), d.get("EngineVersion", ""), d.get("ID", ""),
            ))
    return rows


def wait_ready(
    nodes: Sequence[Node], timeout: float = 90, interval: float = 0.3
) -> list[NodeRow]:
    """Until every node is listed Ready, managers Reachable, and a leader is known."""
    managers = [n for n in nodes if n.role == "manager"]
    want = {n.name for n in nodes}
    deadline = time.monotonic() + timeout
    last = "nothing yet"
    while time.monotonic() < deadline:
        for m in managers:
            try:
                rows = node_rows(m, timeout=10)
            except SwarmError as e:
                last = str(e)
                continue
            ready = {r.hostname for r in rows if r.status == "Ready"}
            bad_mgr = [r.hostname for r in rows if r.hostname in want and r.manager_status
                       not in ("", "Leader", "Reachable")]
            if want <= ready and any(r.is_leader for r in rows) and not bad_mgr:
                return rows
            last = ", ".join(f"{r.hostname}={r.status}/{r.manager_status or '-'}" for r in rows)
            break
        time.sleep(interval)
    raise WaitTimeout(
        "every node Ready with a leader", timeout, last,
        "a node that stays Down may have lost its engine: `swarmlab status` shows which",
    )


def prune_stale(manager: Node, names: Sequence[str]) -> list[str]:
    """Remove Down entries left by nodes that were recreated or removed by hand."""
    rows = node_rows(manager)
    ready = {r.hostname for r in rows if r.status == "Ready"}
    stale = [r for r in rows if r.status != "Ready"
             and (r.hostname in ready or r.hostname not in names)]
    for r in stale:
        if r.manager_status:
            manager.run(f"docker node demote {r.node_id}", timeout=30)
        manager.run(f"docker node rm --force {r.node_id}", timeout=30)
    return [r.hostname for r in stale]


def leave(node: Node, force: bool = False) -> None:
    node.run(f"docker swarm leave{' --force' if force else ''}", timeout=30)


def parallel(fn: Callable[[Node], object], nodes: Sequence[Node]) -> list[object]:
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(nodes)))) as pool:
        return list(pool.map(fn, nodes))
