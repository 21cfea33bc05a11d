"""The strict cut between the kit's logic and I/O: run a command, get a result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from swarmlab.errors import CommandError

OutputSink = Callable[[str, str], None]
"""Called with (stream name "stdout"/"stderr", text chunk) as output arrives."""


@dataclass(frozen=True)
class CommandResult:
    """What a command did. Returned even on failure; ``check()`` raises."""

    cmd: str
    exit_code: int
    stdout: str
    stderr: str
    node: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def check(self, hint: str = "") -> CommandResult:
        """Return self when the command succeeded, else raise ``CommandError``."""
        if self.exit_code != 0:
            raise CommandError(self, hint)
        return self


@runtime_checkable
class Transport(Protocol):
    """Runs shell commands on one node."""

    def run(self, cmd: str, *, timeout: float | None = None, stdin: bytes | None = None,
            on_output: OutputSink | None = None) -> CommandResult:
        """Run ``cmd`` with ``sh -c``; stream output to ``on_output`` if given."""
        ...

    def put_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write ``data`` to ``path`` on the node."""
        ...

    def close(self) -> None: ...
