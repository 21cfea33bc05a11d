"""What checks ask of services and their tasks: which tasks are live, are they still
moving, wait until they settle, say why a service is missing or its tasks do not run, look
inside a task's container, read a task's address on a network.

Helpers only: no check is registered here (``_load_all`` imports ``labNN`` modules).
Timing questions (durations, update batches, when an engine started) are in ``times``.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Callable, Iterable

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult
from swarmlab.checks.times import parse_time
from swarmlab.i18n import _
from swarmlab.state import NetworkInfo, ServiceInfo, Snapshot, TaskInfo
from swarmlab.transport.base import CommandResult

STARTING = ("new", "pending", "assigned", "accepted", "preparing", "ready", "starting")
FAILED = ("failed", "rejected")
NO_NODE = "no suitable node"


def live_tasks(snap: Snapshot, service: str) -> tuple[TaskInfo, ...]:
    """Running tasks the swarm still wants (not those left on a node that went Down)."""
    return tuple(t for t in snap.tasks_of(service) if t.desired_state == "running")


def per_node(tasks: Iterable[TaskInfo]) -> dict[str, int]:
    """Tasks per node, in node-name order."""
    return dict(sorted(Counter(t.node for t in tasks).items()))


def spread(counts: dict[str, int]) -> str:
    """``manager1 (2), worker2 (3)``."""
    return ", ".join(f"{n} ({c})" for n, c in counts.items()) or _("no node")


def stuck_pending(tasks: Iterable[TaskInfo]) -> list[TaskInfo]:
    """Tasks the scheduler cannot place anywhere (a constraint no node meets, ...)."""
    return [t for t in tasks if t.desired_state == "running" and t.state == "pending"
            and NO_NODE in (t.error + t.message).lower()]


UPDATE_UNDER_WAY = ("updating", "rollback_started")


def update_under_way(snap: Snapshot, name: str) -> bool:
    """An update or rollback of ``name`` runs (its monitor window included: its tasks may
    all be up and still nothing has ended)."""
    svc = snap.service(name)
    us = svc.update_status if svc is not None else None
    return us is not None and us.state in UPDATE_UNDER_WAY


def changing(snap: Snapshot, name: str) -> bool:
    """What a check waits out before judging ``name``: an update or rollback that runs,
    or tasks that still move (``in_motion``)."""
    return update_under_way(snap, name) or in_motion(snap, name)


def in_motion(snap: Snapshot, name: str) -> bool:
    """Tasks of ``name`` are still starting, stopping or due to be replaced by an update,
    and waiting may change that (not when every try fails, or no node can take them)."""
    svc = snap.service(name)
    if svc is None:
        return False
    tasks = snap.tasks_of(name, running=False)
    stuck = stuck_pending(tasks)
    us = svc.update_status
    if us is not None and us.state in UPDATE_UNDER_WAY:
        since = parse_time(us.started_at)
        if any(parse_time(t.created_at) < since for t in (*stuck, *snap.tasks_of(name))):
            return True  # the update has tasks left to replace
    wanted = [t for t in tasks if t.desired_state == "running"]
    if wanted and all(t.state in FAILED for t in wanted):
        return False  # every try fails: waiting will not help
    if len(failures_of_this_spec(snap, name)) >= max(svc.replicas or 1, 1) * 2:
        return False  # tasks keep failing to start
    ready = {n.hostname for n in snap.nodes if n.ready}
    starting = any(t.state in STARTING and t not in stuck for t in wanted)
    stopping = any(t.desired_state != "running" and t.running and t.node in ready
                   for t in tasks)
    if starting or stopping:
        return True
    return not stuck and svc.replicas is not None and \
        len(live_tasks(snap, name)) != svc.replicas


def failures_of_this_spec(snap: Snapshot, name: str) -> list[TaskInfo]:
    """Failed tasks of ``name`` made since its last update (or rollback) began: those of
    the spec it has now. Failures of an earlier spec (a learner's first, broken try) say
    nothing of whether the tasks of the fixed one will start."""
    svc = snap.service(name)
    if svc is None:
        return []
    failed = [t for t in snap.tasks_of(name, running=False) if t.state in FAILED]
    us = svc.update_status
    if us is None or not us.started_at:
        return failed
    since = parse_time(us.started_at)
    return [t for t in failed if parse_time(t.created_at) >= since]


def settled(ctx: CheckContext, seconds: float,
            moving: Callable[[Snapshot], bool]) -> Snapshot:
    """The cluster once ``moving(snapshot)`` is false, or after ``seconds`` (the context's
    snapshot is then this one)."""
    if not moving(ctx.snapshot):
        return ctx.snapshot
    found = wait.settle(ctx.refresh, timeout=float(seconds), ok=lambda s: not moving(s))
    return found or ctx.snapshot


def settle(ctx: CheckContext, names: list[str], seconds: float) -> Snapshot:
    """The cluster once the named services' tasks stop moving, or after ``seconds``."""
    return settled(ctx, seconds, lambda s: any(in_motion(s, n) for n in names))


def missing_service(ctx: CheckContext, snap: Snapshot, name: str, how: str,
                    known: tuple[str, ...] = ()) -> CheckResult:
    """The FAIL for a service that does not exist. Another service (not one of the
    notebook's own, ``known``) may be the learner's attempt under a wrong name."""
    services = [s.name for s in snap.services]
    if [s for s in services if s not in known]:
        return ctx.fail(
            _("There is no service named {name}; the swarm has {services}.").format(
                name=name, services=", ".join(services)),
            _("the name must be exactly {name}: {how}").format(name=name, how=how),
            services=services,
        )
    return ctx.fail(_("There is no service named {name} yet.").format(name=name), how,
                    services=services)


def failing_reason(snap: Snapshot, service: str) -> str:
    """Why the latest failed task of ``service`` failed ("" if none did)."""
    failed = [t for t in snap.tasks_of(service, running=False) if t.state in FAILED]
    if not failed:
        return ""
    last = max(failed, key=lambda t: t.updated_at)
    return (last.error or last.message or last.state).strip()


def why_not_running(snap: Snapshot, name: str) -> str:
    """The latest errors of a service's tasks that did not run, joined; "" if none."""
    bad = [t for t in snap.tasks_of(name, running=False)
           if not t.running and (t.error or t.state in ("rejected", "failed", "pending"))]
    bad.sort(key=lambda t: t.updated_at)
    return "; ".join(dict.fromkeys(
        f"{t.node or 'unplaced'}: {t.state}: {t.error or t.message}" for t in bad[-3:]))


def not_running(ctx: CheckContext, snap: Snapshot, svc: ServiceInfo,
                want: int | None) -> CheckResult:
    """A FAIL saying why fewer tasks run than wanted (image missing, Pending, ...)."""
    running = snap.tasks_of(svc.name)
    why = why_not_running(snap, svc.name)
    low = why.lower()
    if NO_NODE in low:
        hint = _("no node meets {service}'s placement constraints ({constraints}) or every "
                 "node is drained/paused: label a node to match, or fix the constraint with "
                 "`docker service update --constraint-rm ... --constraint-add ... {service}`"
                 ).format(service=svc.name, constraints=", ".join(svc.constraints) or _("none"))
    elif "no such image" in low or "pull access denied" in low:
        hint = _("the nodes lack {image}: use a kit image (swarmlab/web:v1, swarmlab/tools, "
                 "swarmlab/db, swarmlab/api); if it is one, copy it into the nodes with "
                 "`swarmlab images build` and `swarmlab load --name {lab} {image}`"
                 ).format(image=svc.image, lab=ctx.lab.name)
    elif why:
        hint = _("read the ERROR column of `docker service ps {service} --no-trunc`").format(
            service=svc.name)
    else:
        hint = _("tasks may still be starting: run the check again in a few seconds")
    msg = (_("{running} of {want} tasks of {service} are Running") if want is not None else
           _("{running} of every node's tasks of {service} are Running")).format(
               running=len(running), want=want, service=svc.name)
    return ctx.fail(msg + (f" ({why})." if why else "."), hint,
                    running_per_node=per_node(running))


def task_spec(snap: Snapshot, task_id: str) -> str:
    """A task's spec (image, force-update counter, ...) as comparable text."""
    for t in (snap.raw.get("tasks") or {}).get("body") or []:
        if isinstance(t, dict) and t.get("ID") == task_id:
            return json.dumps(t.get("Spec") or {}, sort_keys=True)
    return ""


def moved_away(snap: Snapshot, service: str, node: str) -> list[int]:
    """Slots whose task on ``node`` was replaced by the same task on another node: the
    swarm rescheduled it (a node failure or drain), it was not an update."""
    by_slot: dict[int, list[TaskInfo]] = {}
    for t in snap.tasks_of(service, running=False):
        if t.slot is not None:
            by_slot.setdefault(t.slot, []).append(t)
    moved = []
    for slot, tasks in sorted(by_slot.items()):
        tasks.sort(key=lambda t: t.created_at)
        for old, new in zip(tasks, tasks[1:], strict=False):
            if old.node == node and new.node != node and \
                    task_spec(snap, old.id) == task_spec(snap, new.id):
                moved.append(slot)
                break
    return moved


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


def network_seen(ctx: CheckContext, snap: Snapshot,
                 name: str) -> tuple[Snapshot, NetworkInfo | None]:
    """The network called ``name``; when the list lacks it, the cluster is read once more
    before saying so (a busy manager may list only its own local networks)."""
    info = snap.network(name)
    if info is None:
        snap = ctx.refresh()
        info = snap.network(name)
    return snap, info


def vip_on(snap: Snapshot, svc: ServiceInfo, network: str) -> str:
    """The service's virtual IP on ``network`` ("" when it has none there)."""
    net = snap.network(network)
    for raw in (snap.raw.get("services") or {}).get("body") or []:
        if raw.get("ID") != svc.id or net is None:
            continue
        for v in (raw.get("Endpoint") or {}).get("VirtualIPs") or ():
            if v.get("NetworkID") == net.id:
                return str(v.get("Addr", "")).split("/")[0]
    return ""


_LABEL_RULE = re.compile(r"^node\.labels\.([\w.-]+)\s*(==|!=)\s*(\S+)$")


def label_rules(constraints: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(key, operator, value) of each ``node.labels.KEY ==/!= VALUE`` constraint."""
    out = []
    for c in constraints:
        m = _LABEL_RULE.match(c.strip())
        if m:
            out.append((m.group(1), m.group(2), m.group(3)))
    return out
