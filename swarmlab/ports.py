"""Published ports opened from this machine: the address a browser uses (``Lab.url``).

The swarm says which service publishes a port and where its tasks run (which node to
ask); the provider says how this machine reaches that port of that node
(``Provider.reach``: a dind node's bridge address, a VM's forward on 127.0.0.1, a host's
own address); a probe says whether anything answers there.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from swarmlab import wait
from swarmlab.errors import ProviderError, SpecError, SwarmLabError, WaitTimeout

if TYPE_CHECKING:
    from swarmlab.lab import Lab
    from swarmlab.state import PortInfo, ServiceInfo, Snapshot

PATIENCE = 1.5  # seconds a connection must stay open (or say something) to count


def publisher(snap: Snapshot | None, port: int) -> tuple[ServiceInfo, PortInfo] | None:
    """The service publishing TCP ``port``, and how (ingress or host mode)."""
    for svc in snap.services if snap is not None else ():
        for p in svc.ports:
            if p.published == port and p.protocol == "tcp":
                return svc, p
    return None


def choose_node(snap: Snapshot | None, port: int, node: str | None, names: list[str]) -> str:
    """The node to ask for ``port``: ``node`` if given (and able to answer), else one that
    runs a task of the service publishing it, else the first node. ``SpecError`` says why
    no node can answer."""
    if node is not None and node not in names:
        raise SpecError(f"The lab has no node {node!r}. Its nodes: {', '.join(names)}.")
    found = publisher(snap, port)
    if found is None or snap is None:
        return node or names[0]
    svc, how = found
    running = {t.node for t in snap.tasks_of(svc.name)}
    where = [n for n in names if n in running]
    if how.mode != "host":
        return node or (where[0] if where else names[0])
    if not where:
        raise SpecError(f"Service {svc.name} publishes port {port} in host mode, but none of "
                        f"its tasks runs, so no node opens the port. See why: `docker service "
                        f"ps {svc.name}`.")
    if node is not None and node not in where:
        raise SpecError(
            f"Service {svc.name} publishes port {port} in host mode: only the nodes running "
            f"its tasks open it ({', '.join(where)}), not {node}. Ask one of those "
            f"(`swarmlab open {port} --node {where[0]}`, lab.url({port}, node={where[0]!r})), "
            f"or publish on the routing mesh (`--publish published={port},target={how.target}`)."
        )
    return node or where[0]


def probe(host: str, port: int, patience: float = PATIENCE) -> str:
    """``""`` when something answers at ``host:port``, else what was seen.

    A forward (qemu's) accepts every connection, then closes it when nothing listens in
    the VM: so a connection counts when it stays open, or says something, for ``patience``
    seconds; one refused, reset or closed at once does not."""
    try:
        with socket.create_connection((host, port), timeout=5) as s:
            s.settimeout(patience)
            try:
                return "" if s.recv(1) else "connection closed at once"
            except TimeoutError:
                return ""  # open and waiting for a request: a server
    except OSError as e:
        return e.strerror or str(e) or type(e).__name__


def not_answering(port: int, node: str, at: str, found: tuple[ServiceInfo, PortInfo] | None,
                  seen: str, timeout: float) -> SwarmLabError:
    """The error for a port nothing answers on, naming the fix."""
    if found is None:
        return SpecError(
            f"Nothing answers on port {port} of {node} ({at}: {seen}), and no service "
            f"publishes it. Publish it: `docker service create --name web --publish "
            f"published={port},target=80 swarmlab/web:v1`, or on an existing service "
            f"`docker service update --publish-add published={port},target=80 SERVICE`."
        )
    svc, how = found
    hint = (f"see whether its tasks run: `docker service ps {svc.name}`; one just created "
            "may still be starting")
    if how.mode != "host":
        hint += ("; the routing mesh needs IPVS in the nodes' kernel (`swarmlab doctor`), "
                 f"else publish in host mode: `--publish mode=host,published={port},"
                 f"target={how.target}`")
    return WaitTimeout(f"port {port} of {node} ({svc.name}) to answer at {at}", timeout, seen,
                       hint)


def swarm_state(lab: Lab, port: int, timeout: float) -> Snapshot | None:
    """The swarm as it is, or once the service publishing ``port`` has a task running (a
    service just created), waiting up to ``timeout``; ``None`` when there is no swarm."""

    def read() -> Snapshot | None:
        try:
            return lab.snapshot()
        except SwarmLabError:
            return None  # no swarm to ask: the node (or the first) is probed as it is

    def settled(snap: Snapshot | None) -> bool:
        found = publisher(snap, port)
        return snap is None or found is None or bool(snap.tasks_of(found[0].name))

    return wait.settle(read, timeout=timeout, interval=1.0, ok=settled)


def url(lab: Lab, port: int, node: str | None = None, scheme: str = "http",
        timeout: float = 20.0) -> str:
    """The address on this machine where ``port`` published on the lab answers."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise SpecError(f"A port is a number from 1 to 65535, not {port!r}.")
    if not lab.nodes:
        raise SpecError(f"Lab {lab.name!r} has no nodes. Create it: `swarmlab up --name "
                        f"{lab.name}`.")
    snap = swarm_state(lab, port, timeout)
    target = choose_node(snap, port, node, lab.node_names)
    state = lab.provider.states(lab.name).get(target, "missing")
    if state != "running":
        raise ProviderError(f"Node {target} is {state}: power it on first (`swarmlab start "
                            f"{target}`, or lab.start({target!r})).")
    host, host_port = lab.provider.reach(lab.name, target, port)
    found = publisher(snap, port)
    patience = timeout if found else min(timeout, 3.0)  # unpublished: say so soon
    seen = wait.settle(lambda: probe(host, host_port), timeout=patience, interval=0.5,
                       ok=lambda said: said == "")
    if seen:
        raise not_answering(port, target, f"{host}:{host_port}", found, seen, patience)
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{host_port}/"


__all__ = ["choose_node", "probe", "publisher", "swarm_state", "url"]
