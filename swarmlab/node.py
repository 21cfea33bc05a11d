"""A node: a name, a role, an address, and a transport that runs commands on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from swarmlab.transport.base import CommandResult, OutputSink, Transport


@dataclass
class Node:
    """One machine of a lab. Everything the kit does to it goes through ``run``."""

    name: str
    role: str  # the role it was created for: "manager" or "worker"
    address: str  # the address it advertises to the swarm
    transport: Transport = field(repr=False)
    provider_id: str = field(default="", repr=False)  # container name, VM id, host

    def run(
        self,
        cmd: str,
        *,
        timeout: float | None = 60,
        stdin: bytes | None = None,
        on_output: OutputSink | None = None,
    ) -> CommandResult:
        """Run a shell command on the node; never raises for a non-zero exit."""
        return self.transport.run(cmd, timeout=timeout, stdin=stdin, on_output=on_output)

    def docker(self, args: str, timeout: float | None = 60) -> CommandResult:
        """``docker ARGS`` on this node."""
        return self.run(f"docker {args}", timeout=timeout)


def order_key(name: str, role: str) -> tuple[bool, int, str]:
    """Managers first, then by number (worker2 before worker10)."""
    return (role != "manager", len(name), name)


def sort_nodes(nodes: list[Node]) -> list[Node]:
    """``nodes`` in the kit's one order: managers first, then by number."""
    return sorted(nodes, key=lambda n: order_key(n.name, n.role))
