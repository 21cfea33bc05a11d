"""What labs 08-11's checks ask of services and their tasks: wait until they settle, say
why tasks do not run, look inside a task's container, read a task's address on a network.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from datetime import datetime

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult
from swarmlab.checks.common import swarm_problem
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo
from swarmlab.transport.base import CommandResult

_STARTING = ("new", "assigned", "accepted", "preparing", "ready", "starting")
NO_NODE = "no suitable node"


def stuck_pending(tasks: tuple[TaskInfo, ...]) -> list[TaskInfo]:
    """Tasks the scheduler cannot place anywhere (a constraint no node meets, ...)."""
    return [t for t in tasks if t.desired_state == "running" and t.state == "pending"
            and NO_NODE in (t.error + t.message).lower()]


def in_motion(snap: Snapshot, name: str) -> bool:
    """Tasks of ``name`` are still starting, stopping or due to be replaced by an update,
    and waiting may change that."""
    svc = snap.service(name)
    if svc is None:
        return False
    tasks = snap.tasks_of(name, running=False)
    stuck = stuck_pending(tasks)
    us = svc.update_status
    if us is not None and us.state in ("updating", "rollback_started"):
        since = parse_time(us.started_at)
        if any(parse_time(t.created_at) < since for t in (*stuck, *snap.tasks_of(name))):
            return True  # the update has tasks left to replace
    if sum(t.state in ("rejected", "failed") for t in tasks) >= max(svc.replicas or 1, 1) * 2:
        return False  # tasks keep failing to start: waiting will not help
    moving = any((t.desired_state == "running" and t.state in (*_STARTING, "pending")
                  and t not in stuck) or (t.desired_state != "running" and t.running)
                 for t in tasks)
    if moving:
        return True
    if stuck:
        return False
    return svc.replicas is not None and len(snap.tasks_of(name)) != svc.replicas


def settle(ctx: CheckContext, names: list[str], seconds: float) -> Snapshot:
    """The cluster once the named services' tasks stop moving, or after ``seconds``."""
    def moving(snap: Snapshot) -> bool:
        return any(in_motion(snap, n) for n in names)

    if not moving(ctx.snapshot):
        return ctx.snapshot
    found = wait.settle(ctx.refresh, timeout=float(seconds), ok=lambda s: not moving(s))
    return found or ctx.snapshot


def settled_service(ctx: CheckContext, name: str, how: str,
                    no_swarm: str) -> tuple[Snapshot, ServiceInfo] | CheckResult:
    """The cluster once ``name``'s tasks settle (for at most the ``settle_s`` parameter) and
    the service; else the FAIL saying there is no swarm (``no_swarm``: the hint) or no such
    service (``how``: how to create it)."""
    problem = swarm_problem(ctx, no_swarm)
    if problem is not None:
        return problem
    snap = settle(ctx, [name], float(ctx.params["settle_s"]))
    svc = snap.service(name)
    if svc is None:
        return missing_service(ctx, snap, name, how)
    return snap, svc


def lab_node(ctx: CheckContext, hostname: str) -> str | None:
    """The lab's name for the node the swarm calls ``hostname`` (same name, else same address)."""
    if hostname in ctx.lab.node_names:
        return hostname
    info = ctx.snapshot.node(hostname)
    for n in ctx.lab.nodes:
        if info is not None and n.address == info.address:
            return n.name
    return None


def in_task(ctx: CheckContext, task: TaskInfo, cmd: str, timeout: float = 30) -> CommandResult:
    """Run ``cmd`` (sh) inside the task's container, on the node it runs on."""
    node = lab_node(ctx, task.node)
    if node is None or not task.container_id:
        return CommandResult(cmd, -1, "", f"task {task_name(task)} has no container on a lab "
                             "node", node=task.node)
    return ctx.probe(node, f"docker exec {task.container_id[:12]} sh -c {shlex.quote(cmd)}",
                     timeout=timeout)


def task_name(t: TaskInfo) -> str:
    return f"{t.service}.{t.slot}" if t.slot else f"{t.service}.{t.node or t.id[:6]}"


def addresses_on(snap: Snapshot, task: TaskInfo, network: str) -> list[str]:
    """The task's addresses (without the /mask) on the network called ``network``."""
    for raw in (snap.raw.get("tasks") or {}).get("body") or []:
        if raw.get("ID") != task.id:
            continue
        return [a.split("/")[0] for att in raw.get("NetworksAttachments") or ()
                if (att.get("Network") or {}).get("Spec", {}).get("Name") == network
                for a in att.get("Addresses") or ()]
    return []


def why_not_running(snap: Snapshot, name: str) -> str:
    """The latest errors of a service's tasks that did not run, joined; "" if none."""
    bad = [t for t in snap.tasks_of(name, running=False)
           if not t.running and (t.error or t.state in ("rejected", "failed", "pending"))]
    bad.sort(key=lambda t: t.updated_at)
    return "; ".join(dict.fromkeys(
        f"{t.node or 'unplaced'}: {t.state}: {t.error or t.message}" for t in bad[-3:]))


def missing_service(ctx: CheckContext, snap: Snapshot, name: str, how: str) -> CheckResult:
    others = [s.name for s in snap.services]
    if others:
        return ctx.fail(f"There is no service named {name}; the swarm has {', '.join(others)}.",
                        f"the name must be exactly {name}: {how}", services=others)
    return ctx.fail(f"There is no service named {name} yet.", how)


def not_running(ctx: CheckContext, snap: Snapshot, svc: ServiceInfo,
                want: int | None) -> CheckResult:
    """A FAIL saying why fewer tasks run than wanted (image missing, Pending, ...)."""
    running = snap.tasks_of(svc.name)
    why = why_not_running(snap, svc.name)
    low = why.lower()
    if NO_NODE in low:
        hint = (f"no node meets {svc.name}'s placement constraints "
                f"({', '.join(svc.constraints) or 'none'}) or every node is drained/paused: "
                "label a node to match, or fix the constraint with `docker service update "
                f"--constraint-rm ... --constraint-add ... {svc.name}`")
    elif "no such image" in low or "pull access denied" in low:
        hint = (f"the nodes lack {svc.image}: use a kit image (swarmlab/web:v1, swarmlab/tools, "
                "swarmlab/db, swarmlab/api); if it is one, copy it into the nodes with "
                f"`swarmlab images build` and `swarmlab load --name {ctx.lab.name} {svc.image}`")
    elif why:
        hint = f"read the ERROR column of `docker service ps {svc.name} --no-trunc`"
    else:
        hint = "tasks may still be starting: run the check again in a few seconds"
    wanted = f"{want}" if want is not None else "every node's"
    return ctx.fail(f"{len(running)} of {wanted} tasks of {svc.name} are Running"
                    + (f" ({why})." if why else "."), hint, running_per_node=per_node(running))


def per_node(tasks: tuple[TaskInfo, ...] | list[TaskInfo]) -> dict[str, int]:
    """Running tasks per node, in node-name order."""
    return dict(sorted(Counter(t.node for t in tasks).items()))


def spread(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} ({c})" for n, c in counts.items())


def parse_time(stamp: str) -> float:
    """An Engine API timestamp (RFC 3339, nanoseconds) as epoch seconds; 0 if unreadable."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$", stamp)
    if not m:
        return 0.0
    zone = m.group(3) or "Z"
    base = datetime.fromisoformat(m.group(1) + ("+00:00" if zone == "Z" else zone))
    return base.timestamp() + float("0." + (m.group(2) or "0"))


def node_updated_at(snap: Snapshot, hostname: str) -> float:
    """When the node's object last changed (an availability change updates it)."""
    info = snap.node(hostname)
    for raw in (snap.raw.get("nodes") or {}).get("body") or []:
        if info is not None and raw.get("ID") == info.id:
            return parse_time(str(raw.get("UpdatedAt", "")))
    return 0.0


_LABEL_RULE = re.compile(r"^node\.labels\.([\w.-]+)\s*(==|!=)\s*(\S+)$")


def label_rules(constraints: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(key, operator, value) of each ``node.labels.KEY ==/!= VALUE`` constraint."""
    out = []
    for c in constraints:
        m = _LABEL_RULE.match(c.strip())
        if m:
            out.append((m.group(1), m.group(2), m.group(3)))
    return out
