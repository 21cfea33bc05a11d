"""Lab 01, building a cluster: init, join, leave and rm, promote, demote.

The lab starts with engines that are in no swarm; the learner types every step.
"""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult, Requirement, register
from swarmlab.checks.common import describe, role_word, start_hint
from swarmlab.checks.requires import swarm
from swarmlab.state import NodeInfo, Snapshot


def _init_hint(ctx: CheckContext, manager: str) -> str:
    addr = ctx.lab.node(manager).address
    return f"on {manager}: `docker swarm init --advertise-addr {addr}`"


def _join_hint(manager: str, node: str) -> str:
    return (f"on {manager}: `docker swarm join-token worker`, then run the `docker swarm "
            f"join --token ...` line it prints on {node}")


def _no_swarm(ctx: CheckContext) -> str:
    return _init_hint(ctx, str(ctx.params["manager"])) + " (exercise 01.init)"


def _manager_in(ctx: CheckContext) -> CheckResult | None:
    """A FAIL when the swarm does not include the lab's first manager."""
    manager = str(ctx.params["manager"])
    snap = ctx.snapshot
    if snap.node(manager) is None:
        elsewhere = snap.leader.hostname if snap.leader else snap.source.node
        return ctx.fail(
            f"The swarm was created on {elsewhere}, and {manager} is not in it.",
            f"on {elsewhere}: `docker swarm leave --force`; then {_init_hint(ctx, manager)}",
            nodes={n.hostname: describe(n) for n in snap.nodes},
        )
    return None


def _known_node(ctx: CheckContext) -> None:
    ctx.lab.node(str(ctx.params["node"]))  # SpecError for a node the lab does not have


def _joined(then: str = "") -> Requirement:
    """The ``node`` parameter's node is in the swarm (``ctx.found["node"]``); else the FAIL
    saying how to join it (then ``then``, a ``{param}`` template)."""
    def need(ctx: CheckContext) -> CheckResult | None:
        manager, node = str(ctx.params["manager"]), str(ctx.params["node"])
        snap = ctx.snapshot
        ctx.found["node"] = snap.node(node)
        if ctx.found["node"] is not None:
            return None
        return ctx.fail(f"{node} is not in the swarm.",
                        _join_hint(manager, node) + then.format(**ctx.params),
                        nodes={x.hostname: describe(x) for x in snap.nodes})
    return need


# No swarm, no leader, or a swarm that does not include the lab's first manager.
_IN_SWARM = (swarm(_no_swarm), _manager_in)


@register("01.init", title="Create the swarm on manager1", lab="01",
          params={"manager": "manager1"}, needs=_IN_SWARM)
def init(ctx: CheckContext) -> CheckResult:
    manager = str(ctx.params["manager"])
    snap = ctx.snapshot
    me = snap.node(manager)
    assert me is not None  # _lab_problem checked it
    if not me.leader:
        leader = snap.leader.hostname if snap.leader else "no node"
        return ctx.fail(
            f"{manager} is in the swarm as {role_word(me)}, but {leader} is the Leader.",
            f"the swarm should start on {manager}: leave it everywhere "
            "(`docker swarm leave --force`), then " + _init_hint(ctx, manager),
            nodes={n.hostname: describe(n) for n in snap.nodes},
        )
    return ctx.ok(
        f"The swarm is active and {manager} is its Leader (advertising {me.address}).",
        node=describe(me), cluster=snap.source.cluster_id,
    )


@register("01.join", title="Join every worker", lab="01", params={"manager": "manager1"},
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
            f"{_names(missing)} {_be(missing)} not in the swarm yet.",
            _join_hint(manager, " and ".join(missing)), nodes=nodes,
        )
    as_manager = [w for w in workers if _is_manager(snap.node(w))]
    if as_manager:
        w = as_manager[0]
        return ctx.fail(
            f"{_names(as_manager)} joined as {'a manager' if len(as_manager) == 1 else 'managers'}"
            ": the token came from `docker swarm join-token manager`, not `worker`.",
            f"on {manager}: `docker node demote {w}`; on {w}: `docker swarm leave`; on "
            f"{manager}: `docker node rm {w}`; then {_join_hint(manager, w)}", nodes=nodes,
        )
    if down:
        stopped = [w for w in down if w in ctx.stopped()]
        hint = (f"start {_names(stopped)}: {start_hint(stopped)}" if stopped else
                f"{_names(down)} may have left the swarm: {_join_hint(manager, down[0])}")
        return ctx.fail(f"{_names(down)} {_be(down)} listed but Down.", hint, nodes=nodes)
    stale = [w for w in workers if len(snap.nodes_named(w)) > 1]
    note = (f" ({_names(stale)} also {_be(stale)} listed once more as Down, from before "
            "it left: `docker node rm <ID>` removes the old entry)") if stale else ""
    return ctx.ok(f"{_names(workers)} joined and {_be(workers)} Ready.{note}", nodes=nodes)


@register("01.leave-rm", title="A worker leaves and is removed", lab="01",
          params={"manager": "manager1", "node": "worker2"}, needs=(_known_node, *_IN_SWARM))
def leave_rm(ctx: CheckContext) -> CheckResult:
    manager, node = str(ctx.params["manager"]), str(ctx.params["node"])
    entries = ctx.snapshot.nodes_named(node)
    if any(n.state != "down" for n in entries):
        n = next(n for n in entries if n.state != "down")
        first = (f"on {manager}: `docker node demote {node}`; then " if n.is_manager else "")
        return ctx.fail(
            f"{node} is still in the swarm ({n.state.capitalize()}, {role_word(n)}).",
            f"{first}on {node}: `docker swarm leave`; then on {manager}: `docker node rm {node}`",
            node=describe(n),
        )
    if entries:
        return ctx.fail(
            f"{node} left the swarm but is still listed (Down): leaving does not remove it.",
            f"on {manager}: `docker node rm {node}` (just after leaving it may answer \"is "
            "not down\" for ~15 s: wait and run it again)",
            node=describe(entries[-1]),
        )
    if not _joined_before(ctx, node):
        return ctx.fail(
            f"{node} is not in the swarm, but it never joined it in this lab: there was "
            "nothing to leave or remove.",
            f"do exercise 01.join first (and run its check); then on {node}: `docker swarm "
            f"leave`, and on {manager}: `docker node rm {node}`",
            nodes=[n.hostname for n in ctx.snapshot.nodes])
    local = ctx.probe(node, "docker info --format '{{.Swarm.LocalNodeState}}'", timeout=20)
    if local.exit_code < 0:
        return ctx.fail(f"{node} is no longer listed, but it is powered off, so it cannot "
                        "have left by itself.", f"start it: {start_hint([node])}")
    state = local.stdout.strip()
    if state != "inactive":
        return ctx.fail(
            f"{node} is no longer listed, but its engine still says Swarm: {state or '?'} "
            "(it was removed with --force without leaving).",
            f"on {node}: `docker swarm leave --force`", local_state=state,
        )
    return ctx.ok(f"{node} left the swarm and {manager} no longer lists it.",
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


@register("01.promote", title="Promote worker2 to manager", lab="01",
          params={"manager": "manager1", "node": "worker2"},
          needs=(*_IN_SWARM, _joined("; then on {manager}: `docker node promote {node}`")))
def promote(ctx: CheckContext) -> CheckResult:
    manager, node = str(ctx.params["manager"]), str(ctx.params["node"])
    snap = ctx.snapshot
    n, nodes = ctx.found["node"], {x.hostname: describe(x) for x in snap.nodes}
    if not n.is_manager:
        wrong = _promoted_instead(snap, node, [w.name for w in ctx.lab.workers])
        if wrong:
            return ctx.fail(
                f"You promoted {_names(wrong)}, not {node}.",
                f"on {manager}: `docker node demote {wrong[0]}` and `docker node promote {node}`",
                nodes=nodes,
            )
        return ctx.fail(f"{node} is still a worker.", f"on {manager}: `docker node promote {node}`",
                        nodes=nodes)
    if n.reachability != "reachable" or not n.ready:
        return ctx.fail(
            f"{node} is a manager but {n.reachability or 'not reachable'} "
            f"({n.state.capitalize()}).",
            f"a new manager needs a few seconds; if {node} is stopped: {start_hint([node])}",
            nodes=nodes,
        )
    count = len(snap.managers)
    note = (f" With {count} managers, losing any one of them halts management (lab 02)."
            if count % 2 == 0 else "")
    leader = " (and the Leader)" if n.leader else ""
    return ctx.ok(f"{node} is a Reachable manager now{leader}.{note}", nodes=nodes)


@register("01.demote", title="Demote worker2 back to worker", lab="01",
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
                f"You demoted {manager}, not {node}: {node} is still a manager.",
                f"on {node}: `docker node promote {manager}`, then `docker node demote {node}`",
                nodes=nodes,
            )
        return ctx.fail(f"{node} is still {role_word(n)}.",
                        f"on {manager}: `docker node demote {node}`", nodes=nodes)
    if not n.ready:
        return ctx.fail(f"{node} is a worker but {n.state.capitalize()}.",
                        f"start it ({start_hint([node])}) or join it again", nodes=nodes)
    extra = _promoted_instead(snap, node, [w.name for w in ctx.lab.workers])
    if extra:
        return ctx.fail(
            f"{node} is a worker again, but {_names(extra)} {_be(extra)} still a manager.",
            f"on {manager}: `docker node demote {' '.join(extra)}`", nodes=nodes,
        )
    if not _promoted_before(ctx, node):
        return ctx.fail(
            f"{node} is a worker, but it was never promoted in this lab: there is nothing "
            "to demote yet.",
            f"do exercise 01.promote first (on {manager}: `docker node promote {node}`, and "
            f"run its check); then `docker node demote {node}`", nodes=nodes,
        )
    return ctx.ok(f"{node} is a worker again; managers: "
                  f"{', '.join(m.hostname for m in snap.managers)}.", nodes=nodes)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _be(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"
