"""The service helpers labs 08-11 import from here, now in ``services``, ``times`` and
``requires`` (kept so existing imports work)."""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult
from swarmlab.checks.common import swarm_problem
from swarmlab.checks.services import (
    NO_NODE,
    addresses_on,
    in_motion,
    in_task,
    lab_node,
    label_rules,
    missing_service,
    not_running,
    per_node,
    settle,
    spread,
    stuck_pending,
    task_name,
    why_not_running,
)
from swarmlab.checks.times import node_updated_at, parse_time
from swarmlab.state import ServiceInfo, Snapshot

__all__ = ["NO_NODE", "addresses_on", "in_motion", "in_task", "lab_node", "label_rules",
           "missing_service", "node_updated_at", "not_running", "parse_time", "per_node",
           "settle", "settled_service", "spread", "stuck_pending", "task_name",
           "why_not_running"]


def settled_service(ctx: CheckContext, name: str, how: str,
                    no_swarm: str) -> tuple[Snapshot, ServiceInfo] | CheckResult:
    """The cluster once ``name``'s tasks settle (for at most the ``settle_s`` parameter) and
    the service; else the FAIL saying there is no swarm (``no_swarm``: the hint) or no such
    service (``how``: how to create it). New checks declare ``needs=(swarm(),
    service(name, how, settle=True))`` instead."""
    problem = swarm_problem(ctx, no_swarm)
    if problem is not None:
        return problem
    snap = settle(ctx, [name], float(ctx.params["settle_s"]))
    svc = snap.service(name)
    if svc is None:
        return missing_service(ctx, snap, name, how)
    return snap, svc
