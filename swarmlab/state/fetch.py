"""Reading the Engine API on a node: one ``node.run()``, curl on the node's own socket."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from swarmlab.errors import SwarmLabError, TransportError
from swarmlab.node import Node
from swarmlab.state.parse import ENDPOINTS
from swarmlab.state.snapshot import Snapshot, parse

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


def fetch_script(max_time: float = 5, endpoints: Sequence[str] = tuple(PATHS)) -> str:
    """The shell command ``fetch_raw`` runs on the node (needs curl 7.76+): one curl for
    the ``endpoints`` (all of them by default)."""
    urls = " ".join(f"'http://localhost{PATHS[ep]}'" for ep in endpoints)
    return _SCRIPT.format(max_time=int(max_time), urls=urls)


def fetch_raw(node: Node, max_time: float = 5) -> dict[str, Any]:
    """The Engine API's answers on ``node``: ``{endpoint: {"status", "body"}}``.

    HTTP errors (503 "not a swarm manager", 500 "does not have a leader") are kept in
    the result; only a node that cannot run the script raises (``TransportError``).
    """
    res = node.run(fetch_script(max_time), timeout=2 * max_time + 10)
    raw = split_answers(res.stdout)
    if not res.ok or "info" not in raw:
        raise TransportError(f"Reading the Engine API on {node.name} failed: "
                             + _why(res.exit_code, max_time, res.stderr or res.stdout))
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

    The first manager is asked first; when it cannot manage the swarm, every other node
    is asked at once (a learner may have promoted a worker, or run ``swarm init`` on
    the wrong node). When none can (no swarm yet, quorum lost), the best partial answer
    is returned with its errors; this raises only when no node could be read at all.
    """
    nodes = list(lab) if isinstance(lab, Sequence) else lab.nodes
    ordered = sorted(nodes, key=lambda n: n.role != "manager")
    if not ordered:
        raise TransportError("The lab has no nodes to read the swarm's state from.")
    t0 = time.monotonic()
    answers = [_try(ordered[0], max_time)]
    if _rank(answers[0][1]) < 3 and len(ordered) > 1:
        with ThreadPoolExecutor(max_workers=min(8, len(ordered) - 1)) as pool:
            answers += list(pool.map(lambda n: _try(n, max_time), ordered[1:]))
    notes = tuple(f"{n.name}: {err}" for n, raw, err in answers if raw is None)
    read = [(_rank(raw), -i, n, raw) for i, (n, raw, _) in enumerate(answers) if raw]
    if not read:
        raise TransportError("Could not read any node: " + "; ".join(notes))
    rank, _, node, raw = max(read, key=lambda r: (r[0], r[1]))
    if rank == 3:
        notes += _complete_networks(node, raw, max_time)
    return parse(raw, node.name, notes=notes, took_s=time.monotonic() - t0)


def missing_networks(raw: dict[str, Any]) -> set[str]:
    """Ids of networks the services and tasks use that the network list lacks.

    A manager's ``GET /networks`` adds the swarm's networks only when its call to the
    swarm succeeds, and drops them without an error otherwise (busy manager, changing
    certificates): a list without them would make a network the learner created look
    missing."""
    listed = {n.get("Id") for n in (raw.get("networks") or {}).get("body") or []
              if isinstance(n, dict)}
    used: set[str] = set()
    for s in (raw.get("services") or {}).get("body") or []:
        spec = s.get("Spec") or {}
        nets = (spec.get("TaskTemplate") or {}).get("Networks") or spec.get("Networks") or []
        used |= {str(n.get("Target", "")) for n in nets}
        used |= {str(v.get("NetworkID", ""))
                 for v in (s.get("Endpoint") or {}).get("VirtualIPs") or []}
    for t in (raw.get("tasks") or {}).get("body") or []:
        if t.get("DesiredState") == "running":
            used |= {str((a.get("Network") or {}).get("ID", ""))
                     for a in t.get("NetworksAttachments") or []}
    return {u for u in used if u} - listed


def _complete_networks(node: Node, raw: dict[str, Any], max_time: float,
                       tries: int = 3) -> tuple[str, ...]:
    """Read ``/networks`` again (a few times, a second apart) while it lacks networks the
    services use; a note when it still does."""
    lacking = missing_networks(raw)
    for _ in range(tries):
        if not lacking:
            return ()
        time.sleep(1)
        res = node.run(fetch_script(max_time, ["networks"]), timeout=2 * max_time + 10)
        again = split_answers(res.stdout).get("networks")
        if res.ok and again and again["status"] == 200:
            raw["networks"] = again
            lacking = missing_networks(raw)
    return (f"{node.name}: the network list lacked networks in use "
            f"({', '.join(sorted(x[:12] for x in lacking))})",) if lacking else ()


def _try(node: Node, max_time: float) -> tuple[Node, dict[str, Any] | None, str]:
    try:
        return node, fetch_raw(node, max_time), ""
    except SwarmLabError as e:
        return node, None, _first_line(e)


def _rank(raw: dict[str, Any] | None) -> int:
    """3: a manager answered everything; 2: a manager without quorum; 1: a node in a
    swarm; 0: an engine with no swarm; -1: not read."""
    if raw is None:
        return -1
    sw = ((raw["info"].get("body") or {}) if raw["info"].get("status") == 200 else {})
    sw = sw.get("Swarm") or {} if isinstance(sw, dict) else {}
    if sw.get("LocalNodeState") != "active":
        return 0
    if not sw.get("ControlAvailable"):
        return 1
    managed = ("nodes", "services", "tasks")
    return 3 if all(raw[ep].get("status") == 200 for ep in managed) else 2


_CURL_EXITS = {
    7: "nothing answers on /var/run/docker.sock (is the node's dockerd running?)",
    28: "the engine did not answer within {t:.0f} s (busy, starting, or changing role)",
    127: "curl is not installed on the node",
}


def _why(code: int, max_time: float, output: str) -> str:
    known = _CURL_EXITS.get(code)
    if known:
        return known.format(t=max_time)
    tail = output.strip()[-300:]
    return f"exit {code}{': ' + tail if tail else ''} (the node needs sh and curl 7.76+)"


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
