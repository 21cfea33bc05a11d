"""Reading the Engine API on a node: one ``node.run()``, curl on the node's own socket."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any, Protocol

from swarmlab.errors import SwarmLabError, TransportError
from swarmlab.node import Node
from swarmlab.state.parse import ENDPOINTS, parse
from swarmlab.state.snapshot import Snapshot

PATHS = {
    "info": "/info", "networks": "/networks", "services": "/services?status=true",
    "nodes": "/nodes", "tasks": "/tasks", "secrets": "/secrets", "configs": "/configs",
}
_MARK = re.compile(r"\n?@@swarmlab http://localhost(\S+) (\d+)@@\n")

# One curl process for every call: starting processes costs more than the calls. It
# stops at the first HTTP error (keeping that answer): without a leader the engine
# answers /services at once with 500 "does not have a leader" but would hold /nodes
# until the client gave up; without a swarm every management call says "not a manager".
_SCRIPT = (
    "curl -s --fail-early --fail-with-body -m {max_time} --unix-socket /var/run/docker.sock "
    "-w '\\n@@swarmlab %{{url_effective}} %{{http_code}}@@\\n' {urls}; "
    "c=$?; [ $c -eq 22 ] && exit 0; exit $c"
)


def fetch_script(max_time: float = 5) -> str:
    """The shell command ``fetch_raw`` runs on the node (needs curl 7.76+)."""
    urls = " ".join(f"'http://localhost{p}'" for p in PATHS.values())
    return _SCRIPT.format(max_time=int(max_time), urls=urls)


def fetch_raw(node: Node, max_time: float = 5) -> dict[str, Any]:
    """The Engine API's answers on ``node``: ``{endpoint: {"status", "body"}}``.

    HTTP errors (503 "not a swarm manager", 500 "does not have a leader") are kept in
    the result; only a node that cannot run the script raises (``TransportError``).
    """
    res = node.run(fetch_script(max_time), timeout=2 * max_time + 10)
    raw = split_answers(res.stdout)
    if not res.ok or "info" not in raw:
        raise TransportError(
            f"Reading the Engine API on {node.name} failed (exit {res.exit_code}): "
            f"{(res.stderr or res.stdout).strip()[-300:]}. The node needs sh and curl, "
            "and its engine's socket at /var/run/docker.sock."
        )
    failed = next((a for a in raw.values() if a["status"] != 200), None)
    # Calls after the first failure were not made: they would fail the same way.
    missing = failed or {"status": 0, "body": None}
    return {ep: raw.get(ep) or dict(missing) for ep in ENDPOINTS}


def split_answers(out: str) -> dict[str, dict[str, Any]]:
    """The script's output (body, then a ``@@swarmlab URL STATUS@@`` line) as a dict."""
    by_path = {p: k for k, p in PATHS.items()}
    raw: dict[str, dict[str, Any]] = {}
    pos = 0
    for m in _MARK.finditer(out):
        body_text, pos = out[pos:m.start()].strip(), m.end()
        ep = by_path.get(m.group(1))
        if ep is None:
            continue
        try:
            body = json.loads(body_text) if body_text else None
        except json.JSONDecodeError:
            body = {"message": body_text[:300]}
        raw[ep] = {"status": int(m.group(2)), "body": body}
    return raw


class HasNodes(Protocol):
    @property
    def nodes(self) -> list[Node]: ...


def take_snapshot(lab: HasNodes | Sequence[Node], max_time: float = 5) -> Snapshot:
    """One read of the swarm's state from the first node that can manage it.

    Managers are tried first, then the other nodes (a learner may have made a worker a
    manager, or run ``swarm init`` on the wrong node). When no node can manage the
    swarm (no swarm yet, quorum lost), the best partial answer is returned with its
    errors; this only raises when no node could be read at all.
    """
    nodes = list(lab) if isinstance(lab, Sequence) else lab.nodes
    ordered = sorted(nodes, key=lambda n: n.role != "manager")
    t0 = time.monotonic()
    notes: list[str] = []
    fallback: tuple[int, Node, dict[str, Any]] | None = None
    for node in ordered:
        try:
            raw = fetch_raw(node, max_time)
        except SwarmLabError as e:
            notes.append(f"{node.name}: {_first_line(e)}")
            continue
        rank = _rank(raw)
        if rank == 3:
            return parse(raw, node.name, notes=tuple(notes), took_s=time.monotonic() - t0)
        if fallback is None or rank > fallback[0]:
            fallback = (rank, node, raw)
    if fallback is None:
        raise TransportError("Could not read any node: " + "; ".join(notes))
    _, node, raw = fallback
    return parse(raw, node.name, notes=tuple(notes), took_s=time.monotonic() - t0)


def _rank(raw: dict[str, Any]) -> int:
    """3: a manager answered everything; 2: a manager without quorum; 1: in a swarm;
    0: an engine with no swarm."""
    sw = ((raw["info"].get("body") or {}) if raw["info"].get("status") == 200 else {})
    sw = sw.get("Swarm") or {} if isinstance(sw, dict) else {}
    if sw.get("LocalNodeState") != "active":
        return 0
    if not sw.get("ControlAvailable"):
        return 1
    managed = ("nodes", "services", "tasks")
    return 3 if all(raw[ep].get("status") == 200 for ep in managed) else 2


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
