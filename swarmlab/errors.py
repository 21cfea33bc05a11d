"""One error tree for the whole kit.

::

    SwarmLabError
     +-- ProviderError
     |    +-- EngineUnavailable     the host's Docker engine does not answer
     |    +-- ClusterExists         a lab of that name exists with another shape
     |    +-- ClusterNotFound       no lab of that name
     |    +-- CapabilityMissing     the host lacks a feature (kernel module, cgroup, ...)
     +-- TransportError
     |    +-- ConnectError          a node cannot be reached
     |    +-- CommandError          a command on a node failed (.result has everything)
     +-- SwarmError                 init / join / quorum problems
     +-- WaitTimeout                what was awaited, the last observation, a hint
     +-- SpecError                  bad counts, names, ports, ids
     +-- ImageError                 an image cannot be built or found

Every message ends with what to do about it. Docker SDK and paramiko exceptions are
translated where they are caught; callers only ever see these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from swarmlab.transport.base import CommandResult


class SwarmLabError(Exception):
    """Base of every error the kit raises on purpose."""


class ProviderError(SwarmLabError):
    """Creating, finding or removing the machines failed."""


class EngineUnavailable(ProviderError):
    """The host Docker engine cannot be reached."""


class ClusterExists(ProviderError):
    """A lab with this name already exists and does not fit the request."""


class ClusterNotFound(ProviderError):
    """No lab with this name exists."""


class CapabilityMissing(ProviderError):
    """The host lacks something the lab needs."""


class TransportError(SwarmLabError):
    """Talking to a node failed."""


class ConnectError(TransportError):
    """A node could not be reached at all."""


class CommandError(TransportError):
    """A command ran on a node and failed; ``.result`` keeps cmd, exit code and output."""

    def __init__(self, result: CommandResult, hint: str = "") -> None:
        self.result = result
        msg = (
            f"`{result.cmd}` on {result.node or 'node'} exited {result.exit_code}: "
            f"{(result.stderr or result.stdout).strip()[-800:]}"
        )
        if hint:
            msg += f"\nHint: {hint}"
        super().__init__(msg)


class SwarmError(SwarmLabError):
    """Forming or using the swarm failed (init, join, quorum)."""


class WaitTimeout(SwarmLabError):
    """Something did not happen in time."""

    def __init__(self, what: str, timeout: float, last: str = "", hint: str = "") -> None:
        self.what, self.timeout, self.last, self.hint = what, timeout, last, hint
        msg = f"Timed out after {timeout:.0f}s waiting for {what}."
        if last:
            msg += f"\nLast seen: {last}"
        if hint:
            msg += f"\nHint: {hint}"
        super().__init__(msg)


class SpecError(SwarmLabError, ValueError):
    """The request itself is invalid (counts, names, ports, ids)."""


class ImageError(SwarmLabError):
    """An image could not be built, found or loaded."""
