"""Lab 02, Raft and quorum: three managers, losing the majority, getting it back.

The lab starts with three managers, so ``02.three-managers`` also asks for a successful
``docker node demote worker1`` in the command history; ``02.recovered`` needs a loss
first: a PASS of ``02.quorum-lost`` kept with the lab (``swarmlab.records``, which a kernel
restart does not forget) since ``start_lab``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import describe, start_hint, swarm_problem
from swarmlab.checks.common import names_text as _names
from swarmlab.checks.lab02_managers import daemon_error, manager_names
from swarmlab.checks.requires import swarm
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import NodeInfo, Snapshot
from swarmlab.transport.base import CommandResult

_RESTART_HINT = N_("run `lab = swarmlab.start_lab('02')` again: it rebuilds the lab's swarm")
_PROBE = "timeout {t} docker node ls"
_PROBE_TIMEOUT = 8


def quorum(managers: int) -> int:
    """How many managers must be up for the swarm to be managed (a majority)."""
    return managers // 2 + 1


def settle(ctx: CheckContext, busy: Callable[[Snapshot], bool], seconds: float) -> Snapshot:
    """Re-read the cluster while ``busy(snapshot)`` says it is still changing, for at
    most ``seconds`` (a promoted manager needs ~2 s, a restarted one ~10 s)."""
    if busy(ctx.snapshot):
        return wait.settle(lambda: ctx.refresh(machines=True), timeout=float(seconds),
                           ok=lambda snap: not busy(snap)) or ctx.snapshot
    return ctx.snapshot


# ----- 02.three-managers ------------------------------------------------------------------
def _joining(ctx: CheckContext) -> Callable[[Snapshot], bool]:
    """True while a running manager is not yet Reachable (just promoted or restarted)."""
    def busy(snap: Snapshot) -> bool:
        stopped = set(ctx.stopped())
        return snap.manageable and any(
            m.hostname not in stopped and (m.reachability != "reachable" or not m.ready)
            for m in snap.managers)
    return busy


@register("02.three-managers", title=N_("Three managers, one Leader"), lab="02",
          params={"managers": 3, "node": "worker1", "settle_s": 15},
          needs=(swarm(_RESTART_HINT),))
def three_managers(ctx: CheckContext) -> CheckResult:
    want, node = int(ctx.params["managers"]), str(ctx.params["node"])
    snap = settle(ctx, _joining(ctx), float(ctx.params["settle_s"]))
    problem = swarm_problem(ctx, _(_RESTART_HINT))
    if problem is not None:
        return problem
    managers = list(snap.managers)
    names = [m.hostname for m in managers]
    nodes = {n.hostname: describe(n) for n in snap.nodes}
    made_as_manager = {n.name for n in ctx.lab.managers}
    if len(managers) < want:
        workers = [n.hostname for n in snap.workers if n.ready]
        pick = next((w for w in workers if w in made_as_manager), workers[0] if workers else "")
        was = _(" {node} is a worker now.").format(node=pick) if pick in made_as_manager else ""
        return ctx.fail(
            ngettext("The swarm has {count} manager ({names}), not {want}.{was}",
                     "The swarm has {count} managers ({names}), not {want}.{was}",
                     len(managers)).format(count=len(managers), names=_names(names),
                                           want=want, was=was),
            (_("on {node}: `docker node promote {pick}`").format(node=names[0], pick=pick)
             if pick else
             _("join another node as a manager (`docker swarm join-token manager`)")),
            nodes=nodes,
        )
    if len(managers) > want:
        extra = [m.hostname for m in managers if not m.leader and m.hostname not in
                 made_as_manager] or [m.hostname for m in managers if not m.leader]
        q = quorum(len(managers))
        return ctx.fail(
            _("The swarm has {count} managers ({names}), not {want}. With {count} a quorum is "
              "{q}: it survives losing {lose}, no more than {want} managers would.").format(
                  count=len(managers), names=_names(names), want=want, q=q,
                  lose=len(managers) - q),
            _("on {node}: `docker node demote {extra}`").format(node=names[0], extra=extra[-1]),
            nodes=nodes,
        )
    stopped = ctx.stopped()
    unwell = [m for m in managers if m.reachability != "reachable" or not m.ready]
    if unwell:
        down = [m.hostname for m in unwell if m.hostname in stopped]
        return ctx.fail(
            "; ".join(_("{node} is a manager but {reachability} ({state})").format(
                node=m.hostname, reachability=m.reachability or _("not reachable"),
                state=m.state.capitalize()) for m in unwell) + ".",
            _("start it: {how}").format(how=start_hint(down)) if down else
            _("a manager that was just promoted or started needs a few seconds: run the "
              "check again"),
            nodes=nodes,
        )
    wrong = [m for m in names if m not in made_as_manager]
    if wrong:
        demoted = [m for m in sorted(made_as_manager) if m not in names]
        return ctx.fail(
            ngettext("You demoted {demoted}, not {node}: {wrong} is still a manager.",
                     "You demoted {demoted}, not {node}: {wrong} are still a manager.",
                     len(wrong)).format(demoted=_names(demoted), node=node, wrong=_names(wrong)),
            _("on {node}: `docker node promote {demoted}`, then `docker node demote {wrong}`"
              ).format(node=names[0], demoted=demoted[0] if demoted else "...", wrong=wrong[0]),
            nodes=nodes)
    if not ctx.ran(rf"\bdocker\s+node\s+(demote|update\s.*--role[\s=]+worker)\b.*\b{node}\b"):
        return ctx.fail(
            _("The swarm has {want} managers, but as the lab started: {node} was never made a "
              "worker again (no successful `docker node demote` of it is recorded).").format(
                  want=want, node=node),
            _("run the cell that promotes {node} (the swarm then has {more} managers), then "
              "in the exercise cell: `docker node demote {node}`").format(
                  node=node, more=want + 1), nodes=nodes)
    leaders = [m.hostname for m in managers if m.leader]
    if len(leaders) != 1:
        return ctx.fail(_("{want} managers, but {count} leaders ({names}).").format(
                            want=want, count=len(leaders), names=_names(leaders)),
                        _("wait a few seconds for the election to settle, then run the check "
                          "again"), nodes=nodes)
    q = quorum(want)
    return ctx.ok(ngettext(
        "{want} managers ({names}); {leader} is the Leader. A quorum is {q}, so the swarm "
        "survives losing {lose} manager.",
        "{want} managers ({names}); {leader} is the Leader. A quorum is {q}, so the swarm "
        "survives losing {lose} managers.", want - q).format(
            want=want, names=_names(names), leader=leaders[0], q=q, lose=want - q),
        nodes=nodes)


# ----- 02.quorum-lost ---------------------------------------------------------------------
@register("02.quorum-lost", title=N_("Lose the quorum: two of three managers down"), lab="02",
          params={"settle_s": 45})
def quorum_lost(ctx: CheckContext) -> CheckResult:
    managers = manager_names(ctx)
    stopped_all = ctx.stopped()
    stopped = [m for m in managers if m in stopped_all]
    up = [m for m in managers if m not in stopped]
    need = quorum(len(managers))
    machines = ctx.machines()
    if not up:
        return ctx.fail(
            _("All {count} managers are powered off: no manager is left to show what happens "
              "without a quorum.").format(count=len(managers)),
            _("start one without waiting for it to be Ready: lab.start({node!r}, wait=False); "
              "then run the check again").format(node=managers[0]), machines=machines,
        )
    if len(up) >= need:
        workers = [n for n in stopped_all if n not in managers]
        note = ngettext(" ({nodes} is a worker: workers take no part in Raft.)",
                        " ({nodes} are a worker: workers take no part in Raft.)",
                        len(workers)).format(nodes=_names(workers)) if workers else ""
        msg = (ngettext("Only {stopped} is stopped: {up} of {count} managers are up, still a "
                        "majority, so the swarm keeps working.{note}",
                        "Only {stopped} are stopped: {up} of {count} managers are up, still a "
                        "majority, so the swarm keeps working.{note}", len(stopped))
               if stopped else _("All {count} managers are running: the swarm has its quorum "
                                 "({need} of {count}).{note}"))
        more = up[need - 1:]  # keep the first manager up: it will show the error
        stop = ngettext("stop one more manager: {how}", "stop {n} managers: {how}", len(more))
        return ctx.fail(msg.format(stopped=_names(stopped), up=len(up), count=len(managers),
                                   need=need, note=note),
                        stop.format(n=len(more), how="; ".join(f"lab.stop({m!r})" for m in more)),
                        machines=machines)
    survivor = up[0]
    res = _probe_until_refused(ctx, survivor, float(ctx.params["settle_s"]))
    if res is None:
        return ctx.fail(
            _("{stopped} are stopped, yet {node} still answers `docker node ls`.").format(
                stopped=_names(stopped), node=survivor),
            _("a leader notices it lost its majority after about 15 s: wait a little and run "
              "the check again"), machines=machines,
        )
    error = (daemon_error(res.stderr) if res.exit_code not in (124, -1) else
             _("no answer within {s} s").format(s=_PROBE_TIMEOUT))
    return ctx.ok(
        ngettext("{stopped} are stopped: only {up} of {count} managers is up, fewer than the "
                 "{need} a quorum needs. `docker node ls` on {node} fails: {error}",
                 "{stopped} are stopped: only {up} of {count} managers are up, fewer than the "
                 "{need} a quorum needs. `docker node ls` on {node} fails: {error}",
                 len(up)).format(stopped=_names(stopped), up=len(up), count=len(managers),
                                 need=need, node=survivor, error=error),
        managers=managers, stopped=stopped, machines=machines,
    )


def _probe_until_refused(ctx: CheckContext, node: str, seconds: float) -> CommandResult | None:
    """The first failing ``docker node ls`` on ``node`` within ``seconds``, else None."""
    res = wait.settle(
        lambda: ctx.probe(node, _PROBE.format(t=_PROBE_TIMEOUT), timeout=_PROBE_TIMEOUT + 10),
        timeout=seconds, interval=2, ok=lambda r: not r.ok)
    return res if res is not None and not res.ok else None


# ----- 02.recovered -----------------------------------------------------------------------
def _recovering(ctx: CheckContext) -> Callable[[Snapshot], bool]:
    def busy(snap: Snapshot) -> bool:
        if not snap.manageable:
            return True
        return any(not n.ready or (n.is_manager and n.reachability != "reachable")
                   for n in snap.nodes) or snap.leader is None
    return busy


@register("02.recovered", title=N_("Quorum back: every node Ready, a Leader"), lab="02",
          params={"settle_s": 30})
def recovered(ctx: CheckContext) -> CheckResult:
    stopped = ctx.stopped()
    if stopped:
        return ctx.fail(
            ngettext("{nodes} is still powered off.", "{nodes} are still powered off.",
                     len(stopped)).format(nodes=_names(stopped)),
            ngettext("start it: {how}", "start them: {how}", len(stopped)).format(
                how=start_hint(stopped)),
            machines=ctx.machines(),
        )
    snap = settle(ctx, _recovering(ctx), float(ctx.params["settle_s"]))
    problem = swarm_problem(ctx, _(_RESTART_HINT))
    if problem is not None:
        return problem
    nodes = {n.hostname: describe(n) for n in snap.nodes}
    unwell = [n for n in snap.nodes if not n.ready or
              (n.is_manager and n.reachability != "reachable")]
    if unwell:
        return ctx.fail(
            _("Not every node is back: {states}.").format(
                states="; ".join(_state(n) for n in unwell)),
            _("a node that just started needs a few seconds; run the check again"), nodes=nodes)
    assert snap.leader is not None  # settle() waited for one; swarm_problem saw it manageable
    seen = ctx.passed_before("02.quorum-lost")
    if seen is None:
        return ctx.fail(
            _("The swarm is healthy ({leader} leads), but it has not lost its quorum since the "
              "lab started: there is nothing to recover from.").format(
                  leader=snap.leader.hostname),
            _("do exercise 02.quorum-lost first: stop two managers and run its check while "
              "they are down; then start them again"), nodes=nodes,
        )
    started = sorted({e.node for e in ctx.events() if e.kind == "start" and e.at >= seen.at})
    if not started:
        return ctx.fail(
            _("The swarm is healthy, but no manager was started again with lab.start(...) "
              "since the quorum loss was seen: it cannot have recovered from it."),
            _("if the managers were started some other way, stop two managers again, run the "
              "02.quorum-lost check, then start them with lab.start(...)"), nodes=nodes)
    took = time.time() - seen.at
    return ctx.ok(
        _("All {count} nodes are Ready and {leader} is the Leader: the quorum came back once "
          "{started} started again (the loss was seen {took:.0f} s ago).").format(
              count=len(snap.nodes), leader=snap.leader.hostname, started=_names(started),
              took=took), nodes=nodes,
    )


def _state(n: NodeInfo) -> str:
    state = (n.reachability or _("not reachable")) if n.is_manager and n.ready else \
        n.state.capitalize()
    return _("{node} is {state}").format(node=n.hostname, state=state)

