"""A VM's qemu monitor (HMP on the unix socket ``<node>.mon``): forwards made while it runs.

A published port of a VM is reached from this machine through a forward of its user-mode
NIC ``nat`` on 127.0.0.1 only, added at runtime (``hostfwd_add``). ``restrict=on`` on that
NIC keeps the guest from going out; it leaves explicit forwards working (SSH uses one).
The node's record keeps ``forwards`` (guest port -> host port), so the same port of the
same node gets the same address again, also after a power cycle (``restore_forwards``).
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

from swarmlab.errors import ProviderError
from swarmlab.images.vm import GUEST_ADDR
from swarmlab.providers.vm import processes

PROMPT = b"(qemu) "
NETDEV = "nat"
_FORWARD = re.compile(r"TCP\[HOST_FORWARD\]\s+\d+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)")


def hmp(path: Path, command: str, timeout: float = 10) -> str:
    """Run one HMP command on the monitor at ``path``; what it printed (without its echo)."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            _read_prompt(s)
            s.sendall(command.encode() + b"\n")
            said = _read_prompt(s)
    except OSError as e:
        raise ProviderError(f"The qemu monitor {path} did not answer `{command}`: {e}. "
                            "Is the VM running? (`swarmlab status`)") from e
    return reply(said)


def _read_prompt(s: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(PROMPT):
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("the monitor closed the connection")
        buf += chunk
    return buf


def reply(raw: bytes) -> str:
    """A command's output from what the monitor sent back: the line editor echoes the
    command (with cursor codes) up to the first CRLF, then the output, then the prompt."""
    text = raw[: -len(PROMPT)].decode(errors="replace")
    return text.split("\r\n", 1)[1].replace("\r\n", "\n").strip() if "\r\n" in text else ""


def rule(host_port: int, guest_port: int, host_addr: str = "127.0.0.1") -> str:
    """The hostfwd rule: ``tcp:HOSTADDR:HOSTPORT-GUESTADDR:PORT`` (loopback unless asked)."""
    return f"tcp:{host_addr}:{host_port}-{GUEST_ADDR}:{guest_port}"


def add_command(host_port: int, guest_port: int, host_addr: str = "127.0.0.1") -> str:
    """The HMP command that adds the forward."""
    return f"hostfwd_add {NETDEV} {rule(host_port, guest_port, host_addr)}"


def live_forwards(info_usernet: str) -> dict[int, int]:
    """Host port -> guest port of the TCP forwards ``info usernet`` lists."""
    return {int(m[2]): int(m[4]) for m in _FORWARD.finditer(info_usernet)}


def add_forward(mon: Path, guest_port: int, tries: int = 3) -> int:
    """Forward a free port of 127.0.0.1 to ``guest_port`` of the VM; the host port."""
    said = ""
    for _ in range(tries):  # the port may be taken between choosing and binding it
        host_port = processes.free_port()
        said = hmp(mon, add_command(host_port, guest_port))
        if not said:
            return host_port
    raise ProviderError(f"qemu could not forward a port of 127.0.0.1 to port {guest_port} "
                        f"of the VM: {said}")


def ensure_forward(mon: Path, rec: dict[str, Any], guest_port: int) -> int:
    """The host port forwarded to ``guest_port``: the one in the record if qemu still has
    it, else a new one, written into ``rec["forwards"]`` (the caller saves the record)."""
    forwards: dict[str, int] = rec.setdefault("forwards", {})
    live = live_forwards(hmp(mon, "info usernet"))
    known = forwards.get(str(guest_port))
    if known is not None and live.get(known) == guest_port:
        return known
    host_port = add_forward(mon, guest_port)
    forwards[str(guest_port)] = host_port
    return host_port


def restore_forwards(mon: Path, rec: dict[str, Any]) -> None:
    """After a boot, add the record's forwards again, on the same host ports where they
    are free; a forward that cannot be made is dropped (the next ``reach`` makes one)."""
    forwards: dict[str, int] = rec.get("forwards", {})
    for guest, host_port in list(forwards.items()):
        if hmp(mon, add_command(host_port, int(guest))):
            del forwards[guest]


__all__ = ["add_command", "add_forward", "ensure_forward", "hmp", "live_forwards", "reply",
           "restore_forwards", "rule"]
