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
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import NodeInfo, Snapshot

_WEB = N_("on manager1: `docker service create --name web --replicas 6 swarmlab/web:v1`")
_ON_MANAGER1 = N_("on manager1: {command}")
_ASKS = N_("{service} asks for {replicas} replicas, not {want}.")
_LABEL_RM = N_("`docker node update --label-rm {key} {node}`, then {command}")


def _node(ctx: CheckContext, snap: Snapshot, name: str) -> tuple[NodeInfo | None,
                                                                  CheckResult | None]:
    info = snap.node(name)
    if info is None:
        return None, ctx.fail(_("{node} is not in the swarm.").format(node=name),
                              _("run `lab = swarmlab.start_lab('10')` to bring {node} "
                                "back").format(node=name))
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
        return ctx.fail(ngettext("{nodes} is {want}, not {node} ({node} is {have}).",
                                 "{nodes} are {want}, not {node} ({node} is {have}).",
                                 len(others)).format(nodes=", ".join(others), want=want,
                                                     node=node, have=info.availability),
                        _("`docker node update --availability active {node}`, then "
                          "{command}").format(node=others[0], command=cmd),
                        availability={n.hostname: n.availability for n in snap.nodes})
    return ctx.fail(_("{node} is {have}, not {want}.").format(node=node,
                                                              have=info.availability,
                                                              want=want), cmd,
                    availability={n.hostname: n.availability for n in snap.nodes})


def _web_while(want: str, cmd: str) -> tuple[Requirement, ...]:
    """The settled service while the ``node`` parameter is ``want`` (drain, pause); else the
    FAIL saying there is no swarm or no such service, or which node is ``want`` instead
    (``cmd``: the command, a ``{param}`` template marked ``N_``)."""
    def availability(ctx: CheckContext) -> CheckResult | None:
        return _availability(ctx, ctx.snapshot, str(ctx.params["node"]), want,
                             _(cmd).format(**ctx.params))
    return swarm(), service(how=_WEB, settle=True), availability


# ----- 10.drain ---------------------------------------------------------------------------
_DRAIN = N_("on manager1: `docker node update --availability drain {node}`")


@register("10.drain", title=N_("Drain a node"), lab="10",
          params={"node": "worker1", "service": "web", "settle_s": 25},
          needs=_web_while("drain", _DRAIN))
def drain(ctx: CheckContext) -> CheckResult:
    node, name = str(ctx.params["node"]), str(ctx.params["service"])
    cmd = _(_DRAIN).format(**ctx.params)
    snap, svc = ctx.snapshot, found_service(ctx)
    if snap.tasks_on(node):  # draining takes seconds
        snap = wait.settle(ctx.refresh, timeout=float(ctx.params["settle_s"]),
                           ok=lambda s: not s.tasks_on(node)) or snap
    left = snap.tasks_on(node)
    if left:
        return ctx.fail(_("{node} is drained but still runs {n} task(s).").format(
                            node=node, n=len(left)),
                        _("draining stops them within seconds: run the check again"),
                        tasks_per_node=per_node(left))
    running = snap.tasks_of(name)
    if svc.replicas is not None and len(running) != svc.replicas:
        return not_running(ctx, snap, svc, svc.replicas)
    moved = moved_away(snap, name, node)
    if not moved:
        return ctx.fail(
            _("{node} is drained, but none of {service}'s tasks ever ran on it and moved: it "
              "was drained before {service} was created (or before its tasks reached {node}), "
              "so draining moved nothing.").format(node=node, service=name),
            _("`docker node update --availability active {node}`, spread the tasks onto it "
              "(`docker service update --force {service}`), then drain it again: "
              "{command}").format(node=node, service=name, command=cmd),
            tasks_per_node=per_node(running))
    return ctx.ok(_("{node} is drained and runs no task; {n} task(s) of {service} moved off "
                    "it, and all {running} run elsewhere: {spread}.").format(
                      node=node, n=len(moved), service=name, running=len(running),
                      spread=spread(per_node(running))),
                  tasks_per_node=per_node(running), slots_moved=moved)


# ----- 10.pause ---------------------------------------------------------------------------
_PAUSE = N_("on manager1: `docker node update --availability pause {node}`, then "
            "`docker service scale {service}={scale_to}`")


@register("10.pause", title=N_("Pause a node, then scale"), lab="10",
          params={"node": "worker2", "service": "web", "scale_to": 8, "settle_s": 25},
          needs=_web_while("pause", _PAUSE))
def pause(ctx: CheckContext) -> CheckResult:
    node, name, want = (str(ctx.params["node"]), str(ctx.params["service"]),
                        int(ctx.params["scale_to"]))
    snap, svc = ctx.snapshot, found_service(ctx)
    kept = snap.tasks_of(name)
    kept_here = [t for t in kept if t.node == node]
    if not kept_here:
        return ctx.fail(_("{node} is paused but runs no task of {service}: pause keeps "
                          "running tasks, so it had none when it was paused.").format(
                            node=node, service=name),
                        _("`docker node update --availability active {node}`, `docker service "
                          "update --force {service}` to spread the tasks, then pause it "
                          "again").format(node=node, service=name),
                        tasks_per_node=per_node(kept))
    if svc.replicas != want:
        return ctx.fail(_(_ASKS).format(service=name, replicas=svc.replicas, want=want),
                        _("`docker service scale {service}={want}` (with {node} "
                          "paused)").format(service=name, want=want, node=node))
    if len(kept) != want:
        return not_running(ctx, snap, svc, want)
    paused_at = node_updated_at(snap, node)
    late = [t for t in kept_here if parse_time(t.created_at) >= parse_time(svc.updated_at) - 1
            and parse_time(svc.updated_at) < paused_at]
    redo = _("pause first, then scale: `docker service scale {service}={fewer}`, then "
             "`docker service scale {service}={want}` again").format(service=name,
                                                                      fewer=want - 2, want=want)
    if late:
        return ctx.fail(_("{n} task(s) of {service} on {node} were made by the scale, before "
                          "{node} was paused.").format(n=len(late), service=name, node=node),
                        redo, tasks_per_node=per_node(kept))
    if parse_time(svc.updated_at) < paused_at:
        return ctx.fail(_("{service} was scaled before {node} was paused: the new tasks "
                          "happened to land elsewhere, but the pause did not keep them off "
                          "{node}.").format(service=name, node=node),
                        redo, tasks_per_node=per_node(kept))
    return ctx.ok(_("{node} is paused and still runs its {n} old task(s); the {want} tasks of "
                    "{service} run on {spread}: the new ones went elsewhere.").format(
                      node=node, n=len(kept_here), want=want, service=name,
                      spread=spread(per_node(kept))), tasks_per_node=per_node(kept))


# ----- 10.active --------------------------------------------------------------------------
@register("10.active", title=N_("Every node active again"), lab="10",
          params={"service": "web"},
          needs=("swarm",))
def active(ctx: CheckContext) -> CheckResult:
    snap = ctx.snapshot
    name = str(ctx.params["service"])
    if snap.service(name) is None:
        return missing_service(ctx, snap, name, _("{how}, then do exercises 10.drain and "
                                                  "10.pause first").format(how=_(_WEB)))
    off = [n for n in snap.nodes if n.availability != "active"]
    if off:
        return ctx.fail(
            "; ".join(_("{node} is still {availability}").format(
                node=n.hostname, availability=n.availability) for n in off) + ".",
            _(" and ").join(f"`docker node update --availability active {n.hostname}`"
                            for n in off),
            availability={n.hostname: n.availability for n in snap.nodes})
    if not (ctx.passed_before("10.drain") or ctx.passed_before("10.pause")
            or ctx.ran(r"\bdocker\s+node\s+update\s.*--availability[\s=]+(drain|pause)\b")):
        return ctx.fail(
            _("Every node is active, but none was drained or paused in this lab: there was "
              "nothing to make active again."),
            _("do exercises 10.drain and 10.pause first (drain worker1, pause worker2), then "
              "make both active again"))
    counts = per_node(snap.tasks_of(name))
    empty = [n.hostname for n in snap.nodes if n.hostname not in counts]
    text = (ngettext("All {total} nodes are active. {empty} still runs no task: nothing moves "
                     "back by itself.", "All {total} nodes are active. {empty} still run no "
                     "task: nothing moves back by itself.", len(empty))
            if counts and empty else _("All {total} nodes are active."))
    return ctx.ok(text.format(total=len(snap.nodes), empty=", ".join(empty)),
                  tasks_per_node=counts)


# ----- 10.label ---------------------------------------------------------------------------
@register("10.label", title=N_("Label a node"), lab="10",
          params={"node": "worker2", "label": "storage", "value": "ssd"},
          needs=("swarm",))
def label(ctx: CheckContext) -> CheckResult:
    node, key, value = (str(ctx.params["node"]), str(ctx.params["label"]),
                        str(ctx.params["value"]))
    cmd = _(_ON_MANAGER1).format(command=f"`docker node update --label-add {key}={value} "
                                         f"{node}`")
    snap = ctx.snapshot
    info, missing = _node(ctx, snap, node)
    if missing is not None:
        return missing
    assert info is not None
    labels = {n.hostname: n.labels for n in snap.nodes if n.labels}
    if info.labels.get(key) == value:
        return ctx.ok(_("{node} has the label {label}.").format(node=node,
                                                               label=f"{key}={value}"),
                      labels=labels)
    elsewhere = [h for h, ls in labels.items() if ls.get(key) == value]
    if elsewhere:
        return ctx.fail(_("{nodes} has {label}, not {node}.").format(
                            nodes=", ".join(elsewhere), label=f"{key}={value}", node=node),
                        _(_LABEL_RM).format(key=key, node=elsewhere[0], command=cmd),
                        labels=labels)
    if key in info.labels:
        return ctx.fail(_("{node} has {found}, not {label}.").format(
                            node=node, found=f"{key}={info.labels[key] or _('(no value)')}",
                            label=f"{key}={value}"), cmd, labels=labels)
    near = [k for k in info.labels if key in k or value in k or value in info.labels[k]]
    if near:
        k = near[0]
        return ctx.fail((_("{node} has the label {found}, not {label}.") if info.labels[k] else
                         _("{node} has the label {found} with no value, not {label}.")).format(
                            node=node, found=f"{k}={info.labels[k]}" if info.labels[k] else k,
                            label=f"{key}={value}"),
                        _(_LABEL_RM).format(key=k, node=node, command=cmd), labels=labels)
    return ctx.fail(_("{node} has no label {key}.").format(node=node, key=key), cmd,
                    labels=labels)


# ----- 10.constraint ----------------------------------------------------------------------
_PINNED = N_("on manager1: `docker service create --name {service} --replicas {replicas} "
             "--constraint 'node.labels.{label} == {value}' swarmlab/web:v1`")


@register("10.constraint", title=N_("Pin a service to labelled nodes"), lab="10",
          params={"service": "fast", "label": "storage", "value": "ssd", "replicas": 3,
                  "settle_s": 25},
          needs=(swarm(), service(how=_PINNED, settle=True)))
def constraint(ctx: CheckContext) -> CheckResult:
    p, snap, svc = ctx.params, ctx.snapshot, found_service(ctx)
    name, key, value, want = str(p["service"]), str(p["label"]), str(p["value"]), int(
        p["replicas"])
    create = _(_PINNED).format(**p)
    rules = label_rules(svc.constraints)
    labelled = [n.hostname for n in snap.nodes if n.labels.get(key) == value]
    if (key, "==", value) not in rules:
        said = ", ".join(svc.constraints) or _("no constraint")
        has = [(k, v) for k, op, v in rules if op == "=="
               and not any(n.labels.get(k) == v for n in snap.nodes)]
        text = (_("{service} has {said}, not node.labels.{key} == {value}. No node has the "
                  "label {label}, so its tasks stay Pending.") if has else
                _("{service} has {said}, not node.labels.{key} == {value}."))
        return ctx.fail(text.format(service=name, said=said, key=key, value=value,
                                    label=f"{has[0][0]}={has[0][1]}" if has else ""),
                        f"`docker service update --constraint-rm '{svc.constraints[0]}' "
                        f"--constraint-add 'node.labels.{key} == {value}' {name}`"
                        if svc.constraints else _("`docker service rm {service}`, then "
                                                  "{how}").format(service=name, how=create),
                        constraints=list(svc.constraints))
    if not labelled:
        return ctx.fail(_("No node has the label {label}, so {service}'s tasks are Pending (no "
                          "suitable node).").format(label=f"{key}={value}", service=name),
                        _("do exercise 10.label first"))
    if svc.replicas != want:
        return ctx.fail(_(_ASKS).format(service=name, replicas=svc.replicas, want=want),
                        f"`docker service scale {name}={want}`")
    running = snap.tasks_of(name)
    outside = [t for t in running if t.node not in labelled]
    if outside:
        return ctx.fail(_("{n} task(s) of {service} run on nodes without {label}.").format(
                            n=len(outside), service=name, label=f"{key}={value}"),
                        _("the label or constraint changed: `docker service update --force "
                          "{service}`").format(service=name), tasks_per_node=per_node(running))
    if len(running) != want or stuck_pending(snap.tasks_of(name, running=False)):
        return not_running(ctx, snap, svc, want)
    return ctx.ok(_("All {want} tasks of {service} run on {spread}, the node(s) labelled "
                    "{label}; none run elsewhere.").format(want=want, service=name,
                                                          spread=spread(per_node(running)),
                                                          label=f"{key}={value}"),
                  tasks_per_node=per_node(running))
