"""Feeding and reading an SSH channel: stdin in chunks, stdout/stderr as they come."""

from __future__ import annotations

import codecs
import select
import time
from collections.abc import Callable
from typing import Any

import paramiko

from swarmlab.transport.base import OutputSink


def feed(chan: paramiko.Channel, data: bytes) -> None:
    try:
        for i in range(0, len(data), 1 << 16):
            chan.sendall(data[i : i + (1 << 16)])
        chan.shutdown_write()
    except (OSError, paramiko.SSHException, EOFError):
        pass  # the command stopped reading; its exit code tells why


def collect(
    chan: paramiko.Channel, sink: OutputSink | None, deadline: float | None
) -> tuple[str, str, bool]:
    """Read stdout and stderr as they come, until the command ends or ``deadline``."""
    streams: dict[str, tuple[Callable[[int], bytes], Any, list[str]]] = {
        "stdout": (chan.recv, codecs.getincrementaldecoder("utf-8")("replace"), []),
        "stderr": (chan.recv_stderr, codecs.getincrementaldecoder("utf-8")("replace"), []),
    }
    ready = {"stdout": chan.recv_ready, "stderr": chan.recv_stderr_ready}
    while True:
        got = False
        for name, (recv, dec, parts) in streams.items():
            while ready[name]():
                text = dec.decode(recv(65536))
                got = True
                if text:
                    parts.append(text)
                    if sink:
                        sink(name, text)
        if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
            break
        if chan.closed and not got:
            break
        if deadline is not None and time.monotonic() > deadline:
            return _joined(streams) + (True,)
        if not got:
            select.select([chan], [], [], 0.05)
    for name, (recv, dec, parts) in streams.items():  # whatever came with the exit status
        rest = b""
        while ready[name]():
            rest += recv(65536)
        text = dec.decode(rest, final=True)
        if text:
            parts.append(text)
            if sink:
                sink(name, text)
    return _joined(streams) + (False,)


def _joined(streams: dict[str, tuple[Any, Any, list[str]]]) -> tuple[str, str]:
    return "".join(streams["stdout"][2]), "".join(streams["stderr"][2])


__all__ = ["collect", "feed"]
