"""Lab 05, recovery: a stopped worker's tasks move; they do not come back; rebalance.

Whether the node really went away and came back is read from the kit's power events
(``lab.stop`` / ``lab.start``, stored with the lab), its engine's start time (after the
service was created) and the task history (slots rescheduled to other nodes with an
unchanged task spec). A drained node also loses its tasks: that is another exercise
(lab 10), and it is named as the mistake.
"""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import start_hint
from swarmlab.checks.requires import found_service, service, swarm
from swarmlab.checks.services import in_motion, live_tasks, moved_away, per_node, settled, spread
from swarmlab.checks.times import created, engine_started
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import ServiceInfo, Snapshot

_PARAMS = {"service": "app", "node": "worker1", "wait_s": 45}
_NEEDS = (swarm(), service(how=N_("run the notebook's cell that creates it: `docker service "
                              "create --name {service} --replicas 6 swarmlab/tools`")))
_AGAIN = N_("do exercise 05.rescheduled first: lab.stop({node!r}), wait until `docker service "
            "ps {name}` shows its tasks on other nodes, then lab.start({node!r})")


def _wrong_node_stopped(ctx: CheckContext, node: str) -> CheckResult | None:
    others = [n for n in ctx.stopped() if n != node]
    if not others:
        return None
    return ctx.fail(
        _("You stopped {nodes}, not {node}.").format(nodes=", ".join(others), node=node),
        ngettext("start it again ({how}), then stop {node}: lab.stop({node!r})",
                 "start them again ({how}), then stop {node}: lab.stop({node!r})",
                 len(others)).format(how=start_hint(others), node=node),
        stopped=ctx.stopped(),
    )


def _drained(ctx: CheckContext, node: str) -> CheckResult | None:
    """The FAIL for a node that was drained (or paused) instead of stopped."""
    me = ctx.snapshot.node(node)
    if me is None or me.availability == "active":
        return None
    msg = (_("{node} is {availability}, not stopped: draining moves its tasks too, but the "
             "node stays up; this exercise is about a node that goes away.")
           if me.availability == "drain" else
           _("{node} is {availability}, not stopped: a paused node keeps its tasks; this "
             "exercise is about a node that goes away."))
    return ctx.fail(
        msg.format(node=node, availability=me.availability.capitalize()),
        _("`docker node update --availability active {node}` on manager1, then power it "
          "off: lab.stop({node!r})").format(node=node), availability=me.availability)


def _power(ctx: CheckContext, node: str, kind: str, after: float = 0.0) -> float | None:
    """When ``node`` was last stopped or started (``kind``) with the kit, after ``after``."""
    times = [e.at for e in ctx.events() if e.node == node and e.kind == kind and e.at >= after]
    return max(times) if times else None


def _restarted(ctx: CheckContext, node: str, svc: ServiceInfo) -> bool | None:
    """``node``'s engine started after ``svc`` was created (None: cannot tell)."""
    started = engine_started(ctx, node)
    return None if started is None else started > created(svc)


def _replaced(snap: Snapshot, name: str, node: str) -> bool:
    """Every wanted task runs on a node other than ``node``."""
    svc = snap.service(name)
    live = [t for t in live_tasks(snap, name) if t.node != node]
    return svc is not None and len(live) >= (svc.replicas or 0)


@register("05.rescheduled", title=N_("A stopped worker's tasks run elsewhere"), lab="05",
          params=_PARAMS, needs=_NEEDS)
def rescheduled(ctx: CheckContext) -> CheckResult:
    svc = found_service(ctx)
    name, node = str(ctx.params["service"]), str(ctx.params["node"])
    for wrong in (_wrong_node_stopped(ctx, node), _drained(ctx, node)):
        if wrong is not None:  # a FAIL is falsy: test for None, not truth
            return wrong
    stopped = node in ctx.stopped()
    snap = ctx.snapshot
    if stopped:
        snap = settled(ctx, float(ctx.params["wait_s"]),
                       lambda s: not _replaced(s, name, node) or in_motion(s, name))
    moved = moved_away(snap, name, node)
    counts = per_node(live_tasks(snap, name))
    me = snap.node(node)
    state = me.state if me is not None else "missing"
    details = {"tasks_per_node": counts, node: state, "slots_moved": moved}
    if not stopped and not moved:
        return ctx.fail(
            _("{node} is still running ({count} of {name}'s tasks on it).").format(
                node=node, count=counts.get(node, 0), name=name),
            _("stop it with lab.stop({node!r}); after ~15 s the swarm sees it Down and "
              "starts its tasks elsewhere").format(node=node), **details,
        )
    if _power(ctx, node, "stop", created(svc)) is None:
        msg = (_("{name}'s tasks moved off {node}, but {node} was not powered off with the kit "
                 "since {name} was created (it is off now: stopped some other way?).")
               if stopped else
               _("{name}'s tasks moved off {node}, but {node} was not powered off with the kit "
                 "since {name} was created."))
        return ctx.fail(
            msg.format(name=name, node=node),
            _("stop it with lab.stop({node!r}) (the kit records it); after ~15 s its tasks "
              "run elsewhere").format(node=node), **details)
    if not _replaced(snap, name, node):
        live = sum(c for n, c in counts.items() if n != node)
        if stopped and state != "down":
            msg = _("{node} is powered off, but the managers still see it {state}.")
        else:
            msg = _("{node} is Down, but only {live} of {replicas} tasks run elsewhere.")
        return ctx.fail(msg.format(node=node, state=state.capitalize(), live=live,
                                   replicas=svc.replicas),
                        _("the managers need ~15 s to notice and a few more to start "
                          "replacements: watch `docker service ps {name}` and check again"
                          ).format(name=name), **details)
    back = "" if stopped else _(" ({node} is back now, and still runs none of them)") \
        if counts.get(node, 0) == 0 else _(" ({node} is back now)")
    return ctx.ok(
        _("{name} still runs {replicas} tasks, on {spread}: slot(s) {slots} moved off {node} "
          "when it went Down{back}.").format(
              name=name, replicas=svc.replicas, spread=spread(counts),
              slots=", ".join(map(str, moved)) or "?", node=node, back=back.format(node=node)),
        **details,
    )


def _ready(snap: Snapshot, node: str) -> bool:
    me = snap.node(node)
    return me is not None and me.ready


def _came_back(ctx: CheckContext) -> CheckResult | None:
    """None once the node is up and Ready again after an outage (the context's snapshot is
    then the settled one); else the FAIL saying why the node is not back from an outage."""
    name, node = str(ctx.params["service"]), str(ctx.params["node"])
    svc = found_service(ctx)
    if node in ctx.stopped():
        return ctx.fail(_("{node} is still powered off.").format(node=node),
                        _("start it again: {how}").format(how=start_hint([node])),
                        stopped=ctx.stopped())
    drained = _drained(ctx, node)
    if drained is not None:
        return drained
    went = _power(ctx, node, "stop", created(svc))
    if went is None or _power(ctx, node, "start", went) is None:
        msg = (_("{node} has not been powered off with the kit since {name} was created.")
               if went is None else
               _("{node} has not been powered on again with the kit since {name} was created."))
        return ctx.fail(msg.format(node=node, name=name),
                        _(_AGAIN).format(node=node, name=name))
    snap = settled(ctx, float(ctx.params["wait_s"]),
                   lambda s: not _ready(s, node) or in_motion(s, name))
    me = snap.node(node)
    if me is None or not me.ready:
        return ctx.fail(
            _("{node} is running but not Ready in the swarm yet ({state}).").format(
                node=node, state=me.state.capitalize() if me else _("not listed")),
            _("a node that just started needs a few seconds: check again"))
    if _restarted(ctx, node, svc) is False and not moved_away(snap, name, node):
        return ctx.fail(
            _("{node} has not been stopped since {name} was created.").format(
                node=node, name=name), _(_AGAIN).format(node=node, name=name),
            tasks_per_node=per_node(live_tasks(snap, name)))
    return None


@register("05.no-rebalance", title=N_("The returned worker gets no tasks back"), lab="05",
          params=_PARAMS, needs=(*_NEEDS, _came_back))
def no_rebalance(ctx: CheckContext) -> CheckResult:
    name, node = str(ctx.params["service"]), str(ctx.params["node"])
    counts = per_node(live_tasks(ctx.snapshot, name))
    svc, snap = found_service(ctx), ctx.snapshot
    moved = moved_away(snap, name, node)
    details = {"tasks_per_node": counts, "slots_moved": moved}
    if counts.get(node, 0):
        if not moved:
            return ctx.fail(
                _("{node} came back before the swarm gave up on it, so its tasks restarted "
                  "in place: nothing was rescheduled.").format(node=node),
                _("stop it again (lab.stop({node!r})) and wait ~20 s, until `docker service ps "
                  "{name}` shows its tasks on other nodes; then lab.start({node!r})").format(
                      node=node, name=name), **details)
        return ctx.fail(
            _("{node} runs {count} of {name}'s tasks again: they were moved back "
              "(a rebalance, exercise 05.rebalanced).").format(
                  node=node, count=counts[node], name=name),
            _("to see it once more: lab.stop({node!r}), wait ~20 s, lab.start({node!r}), "
              "and check before rebalancing").format(node=node), **details)
    return ctx.ok(
        _("{node} is back and Ready, but runs none of {name}'s {replicas} tasks (they stay on "
          "{spread}): the swarm does not move tasks back by itself.").format(
              node=node, name=name, replicas=svc.replicas, spread=spread(counts)), **details)


@register("05.rebalanced", title=N_("Tasks spread again after a rebalance"), lab="05",
          params=_PARAMS, needs=(*_NEEDS, _came_back))
def rebalanced(ctx: CheckContext) -> CheckResult:
    svc, snap, node = found_service(ctx), ctx.snapshot, str(ctx.params["node"])
    name = svc.name
    live = live_tasks(snap, name)
    counts = per_node(live)
    nodes = [n.hostname for n in snap.nodes if n.ready and n.availability == "active"]
    full = {n: counts.get(n, 0) for n in nodes}
    details = {"tasks_per_node": full}
    how = _("`docker service update --force {name}` (or scale it down and up again)").format(
        name=name)
    if len(live) < (svc.replicas or 0):
        return ctx.fail(_("Only {live} of {replicas} tasks of {name} run.").format(
                            live=len(live), replicas=svc.replicas, name=name),
                        _("wait for the update or scale to finish, then check again"), **details)
    if not full.get(node):
        return ctx.fail(_("{node} still runs none of {name}'s tasks ({spread}).").format(
                            node=node, name=name, spread=spread(counts)), how, **details)
    if max(full.values()) - min(full.values()) > 1:
        return ctx.fail(_("{name}'s tasks are still uneven: {spread}.").format(
                            name=name, spread=spread(full)), how, **details)
    return ctx.ok(_("{name}'s {replicas} tasks are spread again: {spread}.").format(
        name=name, replicas=svc.replicas, spread=spread(full)), **details)
