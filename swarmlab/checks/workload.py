"""The service helpers labs 08-11 import from here, now in ``services``, ``times`` and
``requires`` (kept so existing imports work)."""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult
from swarmlab.checks.common import swarm_problem
from swarmlab.checks.services import (
    NO_NODE as NO_NODE,
)
from swarmlab.checks.services import (
    addresses_on as addresses_on,
)
from swarmlab.checks.services import (
    in_motion as in_motion,
)
from swarmlab.checks.services import (
    in_task as in_task,
)
from swarmlab.checks.services import (
    lab_node as lab_node,
)
from swarmlab.checks.services import (
    label_rules as label_rules,
)
from swarmlab.checks.services import (
    missing_service as missing_service,
)
from swarmlab.checks.services import (
    not_running as not_running,
)
from swarmlab.checks.services import (
    per_node as per_node,
)
from swarmlab.checks.services import (
    settle as settle,
)
from swarmlab.checks.services import (
    spread as spread,
)
from swarmlab.checks.services import (
    stuck_pending as stuck_pending,
)
from swarmlab.checks.services import (
    task_name as task_name,
)
from swarmlab.checks.services import (
    why_not_running as why_not_running,
)
from swarmlab.checks.times import node_updated_at as node_updated_at
from swarmlab.checks.times import parse_time as parse_time
from swarmlab.state import ServiceInfo, Snapshot


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
