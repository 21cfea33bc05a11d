"""What providers share: addresses, the engine wait, the memory check, a parallel map."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from swarmlab import host, wait
from swarmlab.errors import CapabilityMissing, ConnectError
from swarmlab.node import Node, order_key, sort_nodes
from swarmlab.parallel import parallel

if TYPE_CHECKING:
    from swarmlab.spec import NodeSpec

ENGINE_PROBE = "docker version -f '{{.Server.Version}}'"


def host_number(node: NodeSpec) -> int:
    """The last octet of a node's lab address: managers .11+, workers .101+.

    Fixed per node, so a manager that restarts keeps the address it advertised."""
    return (10 if node.role == "manager" else 100) + node.index


def node_address(prefix: str, node: NodeSpec) -> str:
    """``prefix`` (three octets, like ``192.168.77``) and the node's host number."""
    return f"{prefix}.{host_number(node)}"


def wait_engine(
    node: Node, *, what: str, timeout: float, interval: float, hint: str,
    run_timeout: float = 15, fatal: tuple[str, ...] = (),
    alive: Callable[[], None] | None = None,
) -> None:
    """Until ``docker version`` answers on ``node``.

    A ``ConnectError`` is "not yet" unless its message holds one of ``fatal`` (a changed
    host key: waiting will not help). ``alive()`` raises when the machine itself died, so
    a dead machine fails at once instead of at the time-out.
    """

    def probe() -> bool | str:
        try:
            res = node.run(ENGINE_PROBE, timeout=run_timeout)
            said = "" if res.ok else (res.stderr or res.stdout).strip()
        except ConnectError as e:
            if any(f in str(e) for f in fatal):
                raise
            said = str(e)
        if said and alive is not None:
            alive()
        return said or True

    wait.until(probe, what=what, timeout=timeout, interval=interval, hint=hint,
               ok=lambda r: r is True)


def require_memory(need_mib: int, message: str) -> None:
    """``CapabilityMissing(message)`` when ``need_mib`` exceeds the host's free memory.

    ``message`` may name ``{need}`` and ``{free}`` (MiB). Unknown free memory passes."""
    free = host.mem_available_mib()
    if free and need_mib > free:
        raise CapabilityMissing(message.format(need=need_mib, free=free))


__all__ = ["ENGINE_PROBE", "host_number", "node_address", "order_key", "parallel",
           "require_memory", "sort_nodes", "wait_engine"]
