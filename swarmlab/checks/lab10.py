"""Lab 10, node management: drain, pause and active; node labels and placement constraints.

The learner drains one worker and pauses the other while a service ``web`` runs, brings
both back, labels a node and pins a service to it.
"""

from __future__ import annotations

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult, Requirement, register
from swarmlab.checks.requires import found_service, service, swarm
from swarmlab.checks.services import (
    label_rules,
    missing_service,
    moved_away,
    not_running,
    per_node,
    spread,
    stuck_pending,
)
from swarmlab.checks.times import node_updated_at, parse_time
from swarmlab.state import NodeInfo, Snapshot

_WEB = "on manager1: `docker service create --name web --replicas 6 swarmlab/web:v1`"


def _node(ctx: CheckContext, snap: Snapshot, name: str) -> tuple[NodeInfo | None,
                                                                  CheckResult | None]:
    info = snap.node(name)
    if info is None:
        return None, ctx.fail(f"{name} is not in the swarm.",
                              f"run `lab = swarmlab.start_lab('10')` to bring {name} back")
    return info, None


def _availability(ctx: CheckContext, snap: Snapshot, node: str, want: str,
                  cmd: str) -> CheckResult | None:
    """A FAIL when ``node`` is not ``want``, naming the node that is (a wrong target)."""
    info, problem = _node(ctx, snap, node)
    if problem is not None or info is None:
        return problem
    if info.availability == want:
        return None
    others = [n.hostname for n in snap.nodes if n.availability == want and n.hostname != node]
    if others:
        return ctx.fail(f"{', '.join(others)} {'is' if len(others) == 1 else 'are'} {want}, "
                        f"not {node} ({node} is {info.availability}).",
                        f"`docker node update --availability active {others[0]}`, then {cmd}",
                        availability={n.hostname: n.availability for n in snap.nodes})
    return ctx.fail(f"{node} is {info.availability}, not {want}.", cmd,
                    availability={n.hostname: n.availability for n in snap.nodes})


def _web_while(want: str, cmd: str) -> tuple[Requirement, ...]:
    """The settled service while the ``node`` parameter is ``want`` (drain, pause); else the
    FAIL saying there is no swarm or no such service, or which node is ``want`` instead
    (``cmd``: the command, ``{param}`` templates)."""
    def availability(ctx: CheckContext) -> CheckResult | None:
        return _availability(ctx, ctx.snapshot, str(ctx.params["node"]), want,
                             cmd.format(**ctx.params))
    return swarm(), service(how=_WEB, settle=True), availability


# ----- 10.drain ---------------------------------------------------------------------------
_DRAIN = "on manager1: `docker node update --availability drain {node}`"


@register("10.drain", title="Drain a node", lab="10",
          params={"node": "worker1", "service": "web", "settle_s": 25},
          needs=_web_while("drain", _DRAIN))
def drain(ctx: CheckContext) -> CheckResult:
    node, name = str(ctx.params["node"]), str(ctx.params["service"])
    cmd = _DRAIN.format(**ctx.params)
    snap, svc = ctx.snapshot, found_service(ctx)
    if snap.tasks_on(node):  # draining takes seconds
        snap = wait.settle(ctx.refresh, timeout=float(ctx.params["settle_s"]),
                           ok=lambda s: not s.tasks_on(node)) or snap
    left = snap.tasks_on(node)
    if left:
        return ctx.fail(f"{node} is drained but still runs {len(left)} task(s).",
                        "draining stops them within seconds: run the check again",
                        tasks_per_node=per_node(left))
    running = snap.tasks_of(name)
    if svc.replicas is not None and len(running) != svc.replicas:
        return not_running(ctx, snap, svc, svc.replicas)
    moved = moved_away(snap, name, node)
    if not moved:
        return ctx.fail(
            f"{node} is drained, but none of {name}'s tasks ever ran on it and moved: it was "
            f"drained before {name} was created (or before its tasks reached {node}), so "
            "draining moved nothing.",
            f"`docker node update --availability active {node}`, spread the tasks onto it "
            f"(`docker service update --force {name}`), then drain it again: {cmd}",
            tasks_per_node=per_node(running))
    return ctx.ok(f"{node} is drained and runs no task; {len(moved)} task(s) of {name} moved "
                  f"off it, and all {len(running)} run elsewhere: {spread(per_node(running))}.",
                  tasks_per_node=per_node(running), slots_moved=moved)


# ----- 10.pause ---------------------------------------------------------------------------
_PAUSE = ("on manager1: `docker node update --availability pause {node}`, then "
          "`docker service scale {service}={scale_to}`")


@register("10.pause", title="Pause a node, then scale", lab="10",
          params={"node": "worker2", "service": "web", "scale_to": 8, "settle_s": 25},
          needs=_web_while("pause", _PAUSE))
def pause(ctx: CheckContext) -> CheckResult:
    node, name, want = (str(ctx.params["node"]), str(ctx.params["service"]),
                        int(ctx.params["scale_to"]))
    snap, svc = ctx.snapshot, found_service(ctx)
    kept = snap.tasks_of(name)
    kept_here = [t for t in kept if t.node == node]
    if not kept_here:
        return ctx.fail(f"{node} is paused but runs no task of {name}: pause keeps running "
                        "tasks, so it had none when it was paused.",
                        f"`docker node update --availability active {node}`, "
                        f"`docker service update --force {name}` to spread the tasks, then "
                        "pause it again", tasks_per_node=per_node(kept))
    if svc.replicas != want:
        return ctx.fail(f"{name} asks for {svc.replicas} replicas, not {want}.",
                        f"`docker service scale {name}={want}` (with {node} paused)")
    if len(kept) != want:
        return not_running(ctx, snap, svc, want)
    paused_at = node_updated_at(snap, node)
    late = [t for t in kept_here if parse_time(t.created_at) >= parse_time(svc.updated_at) - 1
            and parse_time(svc.updated_at) < paused_at]
    redo = (f"pause first, then scale: `docker service scale {name}={want - 2}`, then "
            f"`docker service scale {name}={want}` again")
    if late:
        return ctx.fail(f"{len(late)} task(s) of {name} on {node} were made by the scale, "
                        f"before {node} was paused.", redo, tasks_per_node=per_node(kept))
    if parse_time(svc.updated_at) < paused_at:
        return ctx.fail(f"{name} was scaled before {node} was paused: the new tasks happened "
                        f"to land elsewhere, but the pause did not keep them off {node}.",
                        redo, tasks_per_node=per_node(kept))
    return ctx.ok(f"{node} is paused and still runs its {len(kept_here)} old task(s); the "
                  f"{want} tasks of {name} run on {spread(per_node(kept))}: the new ones went "
                  "elsewhere.", tasks_per_node=per_node(kept))


# ----- 10.active --------------------------------------------------------------------------
@register("10.active", title="Every node active again", lab="10",
          params={"service": "web"},
          needs=("swarm",))
def active(ctx: CheckContext) -> CheckResult:
    snap = ctx.snapshot
    name = str(ctx.params["service"])
    if snap.service(name) is None:
        return missing_service(ctx, snap, name, f"{_WEB}, then do exercises 10.drain and "
                               "10.pause first")
    off = [n for n in snap.nodes if n.availability != "active"]
    if off:
        return ctx.fail(
            "; ".join(f"{n.hostname} is still {n.availability}" for n in off) + ".",
            " and ".join(f"`docker node update --availability active {n.hostname}`"
                         for n in off),
            availability={n.hostname: n.availability for n in snap.nodes})
    if not (ctx.passed_before("10.drain") or ctx.passed_before("10.pause")
            or ctx.ran(r"\bdocker\s+node\s+update\s.*--availability[\s=]+(drain|pause)\b")):
        return ctx.fail(
            "Every node is active, but none was drained or paused in this lab: there was "
            "nothing to make active again.",
            "do exercises 10.drain and 10.pause first (drain worker1, pause worker2), then "
            "make both active again")
    counts = per_node(snap.tasks_of(name))
    empty = [n.hostname for n in snap.nodes if n.hostname not in counts]
    note = (f" {', '.join(empty)} still {'runs' if len(empty) == 1 else 'run'} no task: "
            "nothing moves back by itself." if counts and empty else "")
    return ctx.ok(f"All {len(snap.nodes)} nodes are active.{note}",
                  tasks_per_node=counts)


# ----- 10.label ---------------------------------------------------------------------------
@register("10.label", title="Label a node", lab="10",
          params={"node": "worker2", "label": "storage", "value": "ssd"},
          needs=("swarm",))
def label(ctx: CheckContext) -> CheckResult:
    node, key, value = (str(ctx.params["node"]), str(ctx.params["label"]),
                        str(ctx.params["value"]))
    cmd = f"on manager1: `docker node update --label-add {key}={value} {node}`"
    snap = ctx.snapshot
    info, missing = _node(ctx, snap, node)
    if missing is not None:
        return missing
    assert info is not None
    labels = {n.hostname: n.labels for n in snap.nodes if n.labels}
    if info.labels.get(key) == value:
        return ctx.ok(f"{node} has the label {key}={value}.", labels=labels)
    elsewhere = [h for h, ls in labels.items() if ls.get(key) == value]
    if elsewhere:
        return ctx.fail(f"{', '.join(elsewhere)} has {key}={value}, not {node}.",
                        f"`docker node update --label-rm {key} {elsewhere[0]}`, then {cmd}",
                        labels=labels)
    if key in info.labels:
        return ctx.fail(f"{node} has {key}={info.labels[key] or '(no value)'}, not "
                        f"{key}={value}.", cmd, labels=labels)
    near = [k for k in info.labels if key in k or value in k or value in info.labels[k]]
    if near:
        k = near[0]
        return ctx.fail(f"{node} has the label {k}" + (f"={info.labels[k]}" if info.labels[k]
                        else " with no value") + f", not {key}={value}.",
                        f"`docker node update --label-rm {k} {node}`, then {cmd}",
                        labels=labels)
    return ctx.fail(f"{node} has no label {key}.", cmd, labels=labels)


# ----- 10.constraint ----------------------------------------------------------------------
_PINNED = ("on manager1: `docker service create --name {service} --replicas {replicas} "
           "--constraint 'node.labels.{label} == {value}' swarmlab/web:v1`")


@register("10.constraint", title="Pin a service to labelled nodes", lab="10",
          params={"service": "fast", "label": "storage", "value": "ssd", "replicas": 3,
                  "settle_s": 25},
          needs=(swarm(), service(how=_PINNED, settle=True)))
def constraint(ctx: CheckContext) -> CheckResult:
    p, snap, svc = ctx.params, ctx.snapshot, found_service(ctx)
    name, key, value, want = str(p["service"]), str(p["label"]), str(p["value"]), int(
        p["replicas"])
    create = _PINNED.format(**p)
    rules = label_rules(svc.constraints)
    labelled = [n.hostname for n in snap.nodes if n.labels.get(key) == value]
    if (key, "==", value) not in rules:
        said = ", ".join(svc.constraints) or "no constraint"
        has = [(k, v) for k, op, v in rules if op == "=="
               and not any(n.labels.get(k) == v for n in snap.nodes)]
        what = (f" No node has the label {has[0][0]}={has[0][1]}, so its tasks stay Pending."
                if has else "")
        return ctx.fail(f"{name} has {said}, not node.labels.{key} == {value}.{what}",
                        f"`docker service update --constraint-rm '{svc.constraints[0]}' "
                        f"--constraint-add 'node.labels.{key} == {value}' {name}`"
                        if svc.constraints else f"`docker service rm {name}`, then {create}",
                        constraints=list(svc.constraints))
    if not labelled:
        return ctx.fail(f"No node has the label {key}={value}, so {name}'s tasks are Pending "
                        "(no suitable node).", "do exercise 10.label first")
    if svc.replicas != want:
        return ctx.fail(f"{name} asks for {svc.replicas} replicas, not {want}.",
                        f"`docker service scale {name}={want}`")
    running = snap.tasks_of(name)
    outside = [t for t in running if t.node not in labelled]
    if outside:
        return ctx.fail(f"{len(outside)} task(s) of {name} run on nodes without "
                        f"{key}={value}.", f"the label or constraint changed: `docker service "
                        f"update --force {name}`", tasks_per_node=per_node(running))
    if len(running) != want or stuck_pending(snap.tasks_of(name, running=False)):
        return not_running(ctx, snap, svc, want)
    return ctx.ok(f"All {want} tasks of {name} run on {spread(per_node(running))}, the "
                  f"node(s) labelled {key}={value}; none run elsewhere.",
                  tasks_per_node=per_node(running))
