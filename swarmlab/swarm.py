"""Forming and inspecting the swarm through ``node.run()`` only: works on any provider."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from swarmlab import wait
from swarmlab.errors import SwarmError, SwarmLabError
from swarmlab.node import Node
from swarmlab.parallel import parallel


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


def comes_back(state: str) -> bool:
    """Whether a node whose engine just started, in ``state``, is on its way back into a
    swarm (so worth waiting for Ready): yes unless it is out of any swarm (``inactive``) or
    waits for its unlock key (``locked``). ``unreachable`` (its ``docker info`` took over
    20 s) and ``error`` are a VM under load, or a worker whose first try to reach a
    manager failed: its engine retries by itself (seen in the vm tier: a rebooted VM read
    as Down right after ``lab.start``)."""
    return state not in ("inactive", "locked")


def init(manager: Node) -> None:
    """``docker swarm init`` on ``manager``, advertising its lab address."""
    if swarm_state(manager) == "active":
        return
    addr = manager.address
    manager.run(
        f"docker swarm init --advertise-addr {addr} --listen-addr {addr}:2377", timeout=60
    ).check(hint=f"{manager.name} must be able to bind {addr}:2377")


def join_token(manager: Node, role: str, timeout: float = 60) -> str:
    """The token that joins a node as ``role`` (a credential: never print it).

    Read again until it looks like one (``SWMTKN-1-...``): on a loaded machine, a VM's SSH
    once answered the command with exit 0 and no output, and joining with an empty token
    fails with "a valid join token is necessary"."""
    def read() -> str:
        res = manager.run(f"docker swarm join-token -q {role}", timeout=20).check()
        return res.stdout.strip()

    token = wait.settle(read, timeout=timeout, interval=2,
                        ok=lambda t: t.startswith("SWMTKN-"))
    if not token or not token.startswith("SWMTKN-"):
        raise SwarmError(f"{manager.name} gave no {role} join token within {timeout:.0f} s "
                         "(`docker swarm join-token -q` printed nothing): run `swarmlab up` "
                         "again to finish forming the swarm.")
    return token


TRANSIENT = ("connection refused", "context deadline exceeded", "unavailable", "i/o timeout")
# dockerd gives up waiting after ~20 s on a slow machine, but the join goes on without it.
BACKGROUND = "will continue in the background"
# The node is in a swarm already: the state read before the join missed it (a loaded VM's
# `docker info` timed out: "unreachable"), or an earlier attempt went on in the background.
ALREADY = "already part of a swarm"


def _joined_later(node: Node, timeout: float = 60) -> bool:
    """Whether a join that went on in the background finished (the node is active)."""
    return wait.settle(lambda: swarm_state(node), timeout=timeout, interval=2,
                       ok=lambda s: s == "active") == "active"


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
        err = res.stderr.lower()
        if res.ok or ((BACKGROUND in err or ALREADY in err) and _joined_later(node)):
            return
        if attempt + 1 < attempts and any(t in err for t in TRANSIENT):
            if swarm_state(node) in ("pending", "error"):
                node.run("docker swarm leave --force", timeout=30)
            time.sleep(1 + attempt)
            continue
        break
    # Never echo the token: it is a credential.
    raise SwarmError(
        f"{node.name} could not join the swarm at {manager.address}:2377: "
        f"{(res.stderr.replace(token, '<token>') if token else res.stderr).strip()[-400:]}"
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

    def join_managers() -> None:
        if len(managers) > 1:
            mtoken = join_token(first, "manager")
            for m in managers[1:]:
                join(m, mtoken, first)

    # Managers one by one (each changes the quorum), workers all at once beside them.
    jobs: list[Callable[[], None]] = [join_managers]
    jobs += [partial(join, w, wtoken, first) for w in workers]
    parallel(lambda job: job(), jobs)


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


READY = "every node Ready with a leader"
READY_HINT = "a node that stays Down may have lost its engine: `swarmlab status` shows which"


def all_ready(rows: Sequence[NodeRow], want: set[str]) -> bool:
    """Every wanted node Ready, wanted managers Leader or Reachable, and a leader known."""
    ready = {r.hostname for r in rows if r.status == "Ready"}
    bad_mgr = [r.hostname for r in rows if r.hostname in want and r.manager_status
               not in ("", "Leader", "Reachable")]
    return want <= ready and any(r.is_leader for r in rows) and not bad_mgr


def describe(rows: Sequence[NodeRow]) -> str:
    """``manager1=Ready/Leader, worker1=Down/-``: what a wait saw last."""
    return ", ".join(f"{r.hostname}={r.status}/{r.manager_status or '-'}" for r in rows)


def first_answer(managers: Sequence[Node], timeout: float = 10) -> list[NodeRow]:
    """``docker node ls`` from the first manager that answers; the last error otherwise."""
    error = SwarmError("no manager to ask")
    for m in managers:
        try:
            return node_rows(m, timeout=timeout)
        except SwarmError as e:
            error = e
    raise error


def answering_manager(managers: Sequence[Node], states: Mapping[str, str]) -> Node:
    """A manager that can answer management calls now (the leader if possible), given the
    machines' states (``provider.states``)."""
    errors = []
    for m in managers:
        if states.get(m.name) != "running":
            continue
        try:
            rows = node_rows(m, timeout=10)
        except SwarmError as e:
            errors.append(str(e))
            continue
        leader = next((r.hostname for r in rows if r.is_leader), None)
        if leader and leader != m.name and states.get(leader) == "running":
            return next((n for n in managers if n.name == leader), m)
        return m
    raise SwarmError(
        "No manager can answer right now"
        + (f" ({errors[0]})" if errors else " (every manager is stopped)")
        + ". If managers are stopped, quorum may be lost: start them with lab.start(...)."
    )


def wait_ready(
    nodes: Sequence[Node], timeout: float = 90, interval: float = 0.3,
    manager: Callable[[], Node] | None = None,
) -> list[NodeRow]:
    """Until every node is listed Ready, managers Reachable, and a leader is known.

    ``manager()`` picks the manager to ask each time (default: the first of ``nodes``'
    managers that answers)."""
    managers = [n for n in nodes if n.role == "manager"]
    want = {n.name for n in nodes}

    def probe() -> list[NodeRow]:
        return node_rows(manager(), timeout=10) if manager else first_answer(managers)

    return wait.until(
        probe, what=READY, timeout=timeout, interval=interval, hint=READY_HINT,
        ok=lambda rows: all_ready(rows, want), ignore=(SwarmLabError,),
        show=lambda rows, seen: describe(rows) if rows else (seen or "nothing yet"),
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
    """``docker swarm leave`` on ``node`` (``--force``: also a manager); never raises."""
    node.run(f"docker swarm leave{' --force' if force else ''}", timeout=30)


def leave_all(nodes: Sequence[Node]) -> None:
    """Every node leaves its swarm at once (forced): the start of a fresh one."""
    parallel(lambda n: leave(n, force=True), list(nodes))
