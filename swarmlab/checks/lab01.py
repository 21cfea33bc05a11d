"""Lab 01, building a cluster: init, join, leave and rm, promote, demote.

The lab starts with engines that are in no swarm; the learner types every step.
"""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult, Requirement, register
from swarmlab.checks.common import describe, role_word, start_hint
from swarmlab.checks.common import names_text as _names
from swarmlab.checks.requires import swarm
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import NodeInfo, Snapshot


def _init_hint(ctx: CheckContext, manager: str) -> str:
    addr = ctx.lab.node(manager).address
    return _("on {manager}: `docker swarm init --advertise-addr {addr}`").format(
        manager=manager, addr=addr)


def _join_hint(manager: str, node: str) -> str:
    return _("on {manager}: `docker swarm join-token worker`, then run the `docker swarm "
             "join --token ...` line it prints on {node}").format(manager=manager, node=node)


def _no_swarm(ctx: CheckContext) -> str:
    return _init_hint(ctx, str(ctx.params["manager"])) + _(" (exercise 01.init)")


def _manager_in(ctx: CheckContext) -> CheckResult | None:
    """A FAIL when the swarm does not include the lab's first manager."""
    manager = str(ctx.params["manager"])
    snap = ctx.snapshot
    if snap.node(manager) is None:
        elsewhere = snap.leader.hostname if snap.leader else snap.source.node
        return ctx.fail(
            _("The swarm was created on {node}, and {manager} is not in it.").format(
                node=elsewhere, manager=manager),
            _("on {node}: `docker swarm leave --force`; then {init}").format(
                node=elsewhere, init=_init_hint(ctx, manager)),
            nodes={n.hostname: describe(n) for n in snap.nodes},
        )
    return None


def _known_node(ctx: CheckContext) -> None:
    ctx.lab.node(str(ctx.params["node"]))  # SpecError for a node the lab does not have


def _joined(then: str = "") -> Requirement:
    """The ``node`` parameter's node is in the swarm (``ctx.found["node"]``); else the FAIL
    saying how to join it (then ``then``, a ``{param}`` template marked ``N_``)."""
    def need(ctx: CheckContext) -> CheckResult | None:
        manager, node = str(ctx.params["manager"]), str(ctx.params["node"])
        snap = ctx.snapshot
        ctx.found["node"] = snap.node(node)
        if ctx.found["node"] is not None:
            return None
        return ctx.fail(_("{node} is not in the swarm.").format(node=node),
                        _join_hint(manager, node) + (_(then) if then else "").format(**ctx.params),
                        nodes={x.hostname: describe(x) for x in snap.nodes})
    return need


# No swarm, no leader, or a swarm that does not include the lab's first manager.
_IN_SWARM = (swarm(_no_swarm), _manager_in)


@register("01.init", title=N_("Create the swarm on manager1"), lab="01",
          params={"manager": "manager1"}, needs=_IN_SWARM)
def init(ctx: CheckContext) -> CheckResult:
    manager = str(ctx.params["manager"])
    snap = ctx.snapshot
    me = snap.node(manager)
    assert me is not None  # _lab_problem checked it
    if not me.leader:
        leader = snap.leader.hostname if snap.leader else _("no node")
        return ctx.fail(
            _("{manager} is in the swarm as {role}, but {leader} is the Leader.").format(
                manager=manager, role=role_word(me), leader=leader),
            _("the swarm should start on {manager}: leave it everywhere "
              "(`docker swarm leave --force`), then {init}").format(
                  manager=manager, init=_init_hint(ctx, manager)),
            nodes={n.hostname: describe(n) for n in snap.nodes},
        )
    return ctx.ok(
        _("The swarm is active and {manager} is its Leader (advertising {addr}).").format(
            manager=manager, addr=me.address),
        node=describe(me), cluster=snap.source.cluster_id,
    )


@register("01.join", title=N_("Join every worker"), lab="01", params={"manager": "manager1"},
          needs=_IN_SWARM)
def join(ctx: CheckContext) -> CheckResult:
    manager = str(ctx.params["manager"])
    snap = ctx.snapshot
    workers = [n.name for n in ctx.lab.workers]
    missing = [w for w in workers if snap.node(w) is None]
    down = [w for w in workers if w not in missing and not _ready(snap.node(w))]
    nodes = {n.hostname: describe(n) for n in snap.nodes}
    if missing:
        return ctx.fail(
            ngettext("{nodes} is not in the swarm yet.", "{nodes} are not in the swarm yet.",
                     len(missing)).format(nodes=_names(missing)),
            _join_hint(manager, _names(missing)), nodes=nodes,
        )
    as_manager = [w for w in workers if _is_manager(snap.node(w))]
    if as_manager:
        w = as_manager[0]
        return ctx.fail(
            ngettext("{nodes} joined as a manager: the token came from `docker swarm "
                     "join-token manager`, not `worker`.",
                     "{nodes} joined as managers: the token came from `docker swarm "
                     "join-token manager`, not `worker`.", len(as_manager)).format(
                         nodes=_names(as_manager)),
            _("on {manager}: `docker node demote {node}`; on {node}: `docker swarm leave`; on "
              "{manager}: `docker node rm {node}`; then {join}").format(
                  manager=manager, node=w, join=_join_hint(manager, w)), nodes=nodes,
        )
    if down:
        stopped = [w for w in down if w in ctx.stopped()]
        hint = (_("start {nodes}: {how}").format(nodes=_names(stopped), how=start_hint(stopped))
                if stopped else _("{nodes} may have left the swarm: {join}").format(
                    nodes=_names(down), join=_join_hint(manager, down[0])))
        return ctx.fail(ngettext("{nodes} is listed but Down.", "{nodes} are listed but Down.",
                                 len(down)).format(nodes=_names(down)), hint, nodes=nodes)
    stale = [w for w in workers if len(snap.nodes_named(w)) > 1]
    note = ngettext(" ({nodes} also is listed once more as Down, from before it left: "
                    "`docker node rm <ID>` removes the old entry)",
                    " ({nodes} also are listed once more as Down, from before it left: "
                    "`docker node rm <ID>` removes the old entry)", len(stale)).format(
                        nodes=_names(stale)) if stale else ""
    return ctx.ok(ngettext("{nodes} joined and is Ready.{note}",
                           "{nodes} joined and are Ready.{note}", len(workers)).format(
                               nodes=_names(workers), note=note), nodes=nodes)


@register("01.leave-rm", title=N_("A worker leaves and is removed"), lab="01",
          params={"manager": "manager1", "node": "worker2"}, needs=(_known_node, *_IN_SWARM))
def leave_rm(ctx: CheckContext) -> CheckResult:
    manager, node = str(ctx.params["manager"]), str(ctx.params["node"])
    entries = ctx.snapshot.nodes_named(node)
    if any(n.state != "down" for n in entries):
        n = next(n for n in entries if n.state != "down")
        hint = (_("on {manager}: `docker node demote {node}`; then on {node}: `docker swarm "
                  "leave`; then on {manager}: `docker node rm {node}`") if n.is_manager else
                _("on {node}: `docker swarm leave`; then on {manager}: `docker node rm {node}`"))
        return ctx.fail(
            _("{node} is still in the swarm ({state}, {role}).").format(
                node=node, state=n.state.capitalize(), role=role_word(n)),
            hint.format(manager=manager, node=node), node=describe(n),
        )
    if entries:
        return ctx.fail(
            _("{node} left the swarm but is still listed (Down): leaving does not remove it."
              ).format(node=node),
            _("on {manager}: `docker node rm {node}` (just after leaving it may answer \"is "
              "not down\" for ~15 s: wait and run it again)").format(manager=manager, node=node),
            node=describe(entries[-1]),
        )
    if not _joined_before(ctx, node):
        why = _("{node} is not in the swarm, but it never joined it in this lab: there was "
                "nothing to leave or remove.")
        fix = _("do exercise 01.join first (and run its check); then on {node}: `docker swarm "
                "leave`, and on {manager}: `docker node rm {node}`")
        return ctx.fail(why.format(node=node), fix.format(node=node, manager=manager),
                        nodes=[n.hostname for n in ctx.snapshot.nodes])
    local = ctx.probe(node, "docker info --format '{{.Swarm.LocalNodeState}}'", timeout=20)
    if local.exit_code < 0:
        return ctx.fail(_("{node} is no longer listed, but it is powered off, so it cannot "
                          "have left by itself.").format(node=node),
                        _("start it: {how}").format(how=start_hint([node])))
    state = local.stdout.strip()
    if state != "inactive":
        return ctx.fail(
            _("{node} is no longer listed, but its engine still says Swarm: {state} "
              "(it was removed with --force without leaving).").format(
                  node=node, state=state or "?"),
            _("on {node}: `docker swarm leave --force`").format(node=node), local_state=state,
        )
    return ctx.ok(_("{node} left the swarm and {manager} no longer lists it.").format(
                      node=node, manager=manager),
                  nodes=[n.hostname for n in ctx.snapshot.nodes])


def _joined_before(ctx: CheckContext, node: str) -> bool:
    """Evidence that ``node`` was in the swarm: a PASS of 01.join, or a successful
    ``docker swarm join`` recorded on it."""
    if ctx.passed_before("01.join") is not None:
        return True
    return any(e.node == node for e in ctx.ran(r"\bdocker\s+swarm\s+join\b"))


def _promoted_before(ctx: CheckContext, node: str) -> bool:
    """Evidence that ``node`` was promoted: a PASS of 01.promote, or a successful
    ``docker node promote NODE`` (or ``node update --role manager NODE``) recorded."""
    if ctx.passed_before("01.promote") is not None:
        return True
    return bool(ctx.ran(rf"\bdocker\s+node\s+(promote|update\s.*--role[\s=]+manager)\b"
                        rf".*\b{node}\b"))


def _promoted_instead(snap: Snapshot, node: str, lab_workers: list[str]) -> list[str]:
    return [w for w in lab_workers if w != node and _is_manager(snap.node(w))]


def _ready(n: NodeInfo | None) -> bool:
    return n is not None and n.ready


def _is_manager(n: NodeInfo | None) -> bool:
    return n is not None and n.is_manager


@register("01.promote", title=N_("Promote worker2 to manager"), lab="01",
          params={"manager": "manager1", "node": "worker2"},
          needs=(*_IN_SWARM, _joined(N_("; then on {manager}: `docker node promote {node}`"))))
def promote(ctx: CheckContext) -> CheckResult:
    manager, node = str(ctx.params["manager"]), str(ctx.params["node"])
    snap = ctx.snapshot
    n, nodes = ctx.found["node"], {x.hostname: describe(x) for x in snap.nodes}
    if not n.is_manager:
        wrong = _promoted_instead(snap, node, [w.name for w in ctx.lab.workers])
        if wrong:
            return ctx.fail(
                _("You promoted {nodes}, not {node}.").format(nodes=_names(wrong), node=node),
                _("on {manager}: `docker node demote {wrong}` and `docker node promote {node}`"
                  ).format(manager=manager, wrong=wrong[0], node=node), nodes=nodes,
            )
        return ctx.fail(_("{node} is still a worker.").format(node=node),
                        _("on {manager}: `docker node promote {node}`").format(
                            manager=manager, node=node), nodes=nodes)
    if n.reachability != "reachable" or not n.ready:
        return ctx.fail(
            _("{node} is a manager but {reachability} ({state}).").format(
                node=node, reachability=n.reachability or _("not reachable"),
                state=n.state.capitalize()),
            _("a new manager needs a few seconds; if {node} is stopped: {how}").format(
                node=node, how=start_hint([node])), nodes=nodes,
        )
    count = len(snap.managers)
    note = (_(" With {count} managers, losing any one of them halts management (lab 02).")
            .format(count=count) if count % 2 == 0 else "")
    msg = (_("{node} is a Reachable manager now (and the Leader).{note}") if n.leader else
           _("{node} is a Reachable manager now.{note}"))
    return ctx.ok(msg.format(node=node, note=note), nodes=nodes)


@register("01.demote", title=N_("Demote worker2 back to worker"), lab="01",
          params={"manager": "manager1", "node": "worker2"},
          needs=(swarm(_no_swarm), _joined()))
def demote(ctx: CheckContext) -> CheckResult:
    manager, node = str(ctx.params["manager"]), str(ctx.params["node"])
    snap = ctx.snapshot
    n, nodes = ctx.found["node"], {x.hostname: describe(x) for x in snap.nodes}
    if n.is_manager:
        me = snap.node(manager)
        if me is not None and not me.is_manager:
            return ctx.fail(
                _("You demoted {manager}, not {node}: {node} is still a manager.").format(
                    manager=manager, node=node),
                _("on {node}: `docker node promote {manager}`, then `docker node demote {node}`"
                  ).format(manager=manager, node=node), nodes=nodes,
            )
        return ctx.fail(_("{node} is still {role}.").format(node=node, role=role_word(n)),
                        _("on {manager}: `docker node demote {node}`").format(
                            manager=manager, node=node), nodes=nodes)
    if not n.ready:
        return ctx.fail(_("{node} is a worker but {state}.").format(
                            node=node, state=n.state.capitalize()),
                        _("start it ({how}) or join it again").format(how=start_hint([node])),
                        nodes=nodes)
    extra = _promoted_instead(snap, node, [w.name for w in ctx.lab.workers])
    if extra:
        return ctx.fail(
            ngettext("{node} is a worker again, but {nodes} is still a manager.",
                     "{node} is a worker again, but {nodes} are still a manager.",
                     len(extra)).format(node=node, nodes=_names(extra)),
            _("on {manager}: `docker node demote {nodes}`").format(
                manager=manager, nodes=" ".join(extra)), nodes=nodes,
        )
    if not _promoted_before(ctx, node):
        return ctx.fail(
            _("{node} is a worker, but it was never promoted in this lab: there is nothing "
              "to demote yet.").format(node=node),
            _("do exercise 01.promote first (on {manager}: `docker node promote {node}`, and "
              "run its check); then `docker node demote {node}`").format(
                  manager=manager, node=node), nodes=nodes,
        )
    return ctx.ok(_("{node} is a worker again; managers: {managers}.").format(
        node=node, managers=", ".join(m.hostname for m in snap.managers)), nodes=nodes)

