"""Snapshot: one read of a swarm's state, and the questions checks and pictures ask of it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from swarmlab.state.model import (
    ApiView,
    NetworkInfo,
    NodeInfo,
    ObjectInfo,
    ServiceInfo,
    TaskInfo,
)
from swarmlab.state.parse import endpoint_errors, snapshot_fields

FORMAT = 1
_NO_LEADER_MARKS = ("does not have a leader", "context deadline exceeded", "no leader")


@dataclass(frozen=True)
class Snapshot:
    """Nodes, services, tasks, networks, secrets and configs as one manager saw them.

    ``errors`` keeps what went wrong while reading (a stopped manager, "The swarm does
    not have a leader", ...): reading never raises for a swarm that is merely unwell.
    """

    taken_at: float
    source: ApiView
    swarm_active: bool
    nodes: tuple[NodeInfo, ...] = ()
    services: tuple[ServiceInfo, ...] = ()
    tasks: tuple[TaskInfo, ...] = ()
    networks: tuple[NetworkInfo, ...] = ()
    secrets: tuple[ObjectInfo, ...] = ()
    configs: tuple[ObjectInfo, ...] = ()
    errors: tuple[str, ...] = ()
    took_s: float = 0.0
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ----- questions ----------------------------------------------------------------
    @property
    def manageable(self) -> bool:
        """A manager answered the cluster-wide calls (there is a leader and quorum)."""
        return self.swarm_active and self.source.control_available and bool(self.nodes)

    @property
    def no_leader(self) -> bool:
        """Management calls fail because the managers have no leader (quorum lost)."""
        text = " ".join(self.errors).lower()
        return any(mark in text for mark in _NO_LEADER_MARKS)

    @property
    def leader(self) -> NodeInfo | None:
        return next((n for n in self.nodes if n.leader), None)

    @property
    def managers(self) -> tuple[NodeInfo, ...]:
        return tuple(n for n in self.nodes if n.role == "manager")

    @property
    def workers(self) -> tuple[NodeInfo, ...]:
        return tuple(n for n in self.nodes if n.role == "worker")

    def node(self, hostname: str) -> NodeInfo | None:
        """The node with this hostname; if it is listed twice (left, then joined again),
        the one that is not Down."""
        found = self.nodes_named(hostname)
        live = tuple(n for n in found if n.state != "down")
        pick = live or found
        return pick[-1] if pick else None

    def nodes_named(self, hostname: str) -> tuple[NodeInfo, ...]:
        return tuple(n for n in self.nodes if n.hostname == hostname)

    def service(self, name: str) -> ServiceInfo | None:
        """The service called ``name`` (or with that id)."""
        return next((s for s in self.services if name in (s.name, s.id)), None)

    def tasks_of(self, service: str, running: bool = True) -> tuple[TaskInfo, ...]:
        """Tasks of a service (by name or id); only Running ones unless ``running=False``."""
        return tuple(
            t for t in self.tasks
            if service in (t.service, t.service_id) and (t.running or not running)
        )

    def tasks_on(self, node: str, running: bool = True) -> tuple[TaskInfo, ...]:
        """Tasks placed on a node (by hostname or id); only Running ones by default."""
        return tuple(
            t for t in self.tasks if node in (t.node, t.node_id) and (t.running or not running)
        )

    def network(self, name: str) -> NetworkInfo | None:
        return next((n for n in self.networks if name in (n.name, n.id)), None)

    def secret(self, name: str) -> ObjectInfo | None:
        return next((s for s in self.secrets if name in (s.name, s.id)), None)

    def config(self, name: str) -> ObjectInfo | None:
        return next((c for c in self.configs if name in (c.name, c.id)), None)

    def summary(self) -> str:
        """One line for logs and check details."""
        if not self.swarm_active:
            return f"no swarm ({self.source.node}: {self.source.local_state})"
        nodes = ", ".join(
            f"{n.hostname}={n.role[0]}/{n.state}{'*' if n.leader else ''}" for n in self.nodes
        )
        run = sum(t.running for t in self.tasks)
        err = f"; errors: {'; '.join(self.errors)}" if self.errors else ""
        return f"nodes [{nodes}]; {len(self.services)} services, {run} running tasks{err}"

    # ----- fixtures -----------------------------------------------------------------
    def to_json(self, indent: int | None = 1) -> str:
        """The recorded API answers (values of env, configs and certs already stripped)."""
        return json.dumps(
            {"format": FORMAT, "taken_at": self.taken_at, "node": self.source.node,
             "took_s": self.took_s, "notes": list(self._notes()), "raw": self.raw},
            indent=indent, sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        """Rebuild a snapshot from ``to_json``'s output (parsed again from the raw API JSON)."""
        d = json.loads(text)
        if d.get("format") != FORMAT:
            raise ValueError(f"unknown snapshot format {d.get('format')!r} (want {FORMAT})")
        return parse(d["raw"], d["node"], taken_at=d["taken_at"], notes=tuple(d["notes"]),
                     took_s=d.get("took_s", 0.0))

    def _notes(self) -> tuple[str, ...]:
        """Errors that did not come from the raw answers (e.g. other managers unreachable)."""
        own = set(endpoint_errors(self.raw))
        return tuple(e for e in self.errors if e not in own)

    @property
    def age_s(self) -> float:
        return time.time() - self.taken_at


def parse(
    raw: dict[str, Any], node: str, *, taken_at: float | None = None,
    notes: tuple[str, ...] = (), took_s: float = 0.0,
) -> Snapshot:
    """Build a Snapshot from ``raw`` (sanitized in place: no env values, config data, certs)."""
    return Snapshot(**snapshot_fields(raw, node, taken_at=taken_at, notes=notes, took_s=took_s))
