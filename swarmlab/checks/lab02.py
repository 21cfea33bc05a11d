"""Lab 02, Raft and quorum: three managers, losing the majority, getting it back.

The lab starts with three managers, so ``02.three-managers`` also asks for the step that
made them three again: a successful ``docker node demote worker1`` in the command history.
``02.recovered`` asks for a recovery, so it needs a loss first: a PASS of
``02.quorum-lost`` stored with the lab (``swarmlab.records``) since ``start_lab``, which a
kernel restart does not forget.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import describe, start_hint, swarm_problem
from swarmlab.checks.requires import swarm
from swarmlab.state import NodeInfo, Snapshot
from swarmlab.transport.base import CommandResult

_RESTART_HINT = "run `lab = swarmlab.start_lab('02')` again: it rebuilds the lab's swarm"
_PROBE = "timeout {t} docker node ls"
_PROBE_TIMEOUT = 8


def quorum(managers: int) -> int:
    """How many managers must be up for the swarm to be managed (a majority)."""
    return managers // 2 + 1


def settle(ctx: CheckContext, busy: Callable[[Snapshot], bool], seconds: float) -> Snapshot:
    """Re-read the cluster while ``busy(snapshot)`` says it is still changing, for at
    most ``seconds`` (a promoted manager needs ~2 s, a restarted one ~10 s)."""
    if not busy(ctx.snapshot):
        return ctx.snapshot
    found = wait.settle(lambda: ctx.refresh(machines=True), timeout=float(seconds),
                        ok=lambda snap: not busy(snap))
    return found or ctx.snapshot


# ----- 02.three-managers ------------------------------------------------------------------
def _joining(ctx: CheckContext) -> Callable[[Snapshot], bool]:
    """True while a running manager is not yet Reachable (just promoted or restarted)."""
    def busy(snap: Snapshot) -> bool:
        stopped = set(ctx.stopped())
        return snap.manageable and any(
            m.hostname not in stopped and (m.reachability != "reachable" or not m.ready)
            for m in snap.managers)
    return busy


@register("02.three-managers", title="Three managers, one Leader", lab="02",
          params={"managers": 3, "node": "worker1", "settle_s": 15},
          needs=(swarm(_RESTART_HINT),))
def three_managers(ctx: CheckContext) -> CheckResult:
    want, node = int(ctx.params["managers"]), str(ctx.params["node"])
    snap = settle(ctx, _joining(ctx), float(ctx.params["settle_s"]))
    problem = swarm_problem(ctx, _RESTART_HINT)
    if problem is not None:
        return problem
    managers = list(snap.managers)
    names = [m.hostname for m in managers]
    nodes = {n.hostname: describe(n) for n in snap.nodes}
    made_as_manager = {n.name for n in ctx.lab.managers}
    if len(managers) < want:
        workers = [n.hostname for n in snap.workers if n.ready]
        pick = next((w for w in workers if w in made_as_manager), workers[0] if workers else "")
        was = f" {pick} is a worker now." if pick in made_as_manager else ""
        return ctx.fail(
            f"The swarm has {_count(len(managers), 'manager')} ({_names(names)}), not {want}.{was}",
            (f"on {names[0]}: `docker node promote {pick}`" if pick else
             "join another node as a manager (`docker swarm join-token manager`)"),
            nodes=nodes,
        )
    if len(managers) > want:
        extra = [m.hostname for m in managers if not m.leader and m.hostname not in
                 made_as_manager] or [m.hostname for m in managers if not m.leader]
        q = quorum(len(managers))
        return ctx.fail(
            f"The swarm has {len(managers)} managers ({_names(names)}), not {want}. With "
            f"{len(managers)} a quorum is {q}: it survives losing {len(managers) - q}, "
            f"no more than {want} managers would.",
            f"on {names[0]}: `docker node demote {extra[-1]}`", nodes=nodes,
        )
    stopped = ctx.stopped()
    unwell = [m for m in managers if m.reachability != "reachable" or not m.ready]
    if unwell:
        down = [m.hostname for m in unwell if m.hostname in stopped]
        return ctx.fail(
            "; ".join(f"{m.hostname} is a manager but {m.reachability or 'not reachable'} "
                      f"({m.state.capitalize()})" for m in unwell) + ".",
            f"start it: {start_hint(down)}" if down else
            "a manager that was just promoted or started needs a few seconds: run the "
            "check again",
            nodes=nodes,
        )
    wrong = [m for m in names if m not in made_as_manager]
    if wrong:
        demoted = [m for m in sorted(made_as_manager) if m not in names]
        return ctx.fail(
            f"You demoted {_names(demoted)}, not {node}: {_names(wrong)} {_be(wrong)} still "
            "a manager.",
            f"on {names[0]}: `docker node promote {demoted[0] if demoted else '...'}`, then "
            f"`docker node demote {wrong[0]}`", nodes=nodes)
    if not ctx.ran(rf"\bdocker\s+node\s+(demote|update\s.*--role[\s=]+worker)\b.*\b{node}\b"):
        return ctx.fail(
            f"The swarm has {want} managers, but as the lab started: {node} was never made a "
            "worker again (no successful `docker node demote` of it is recorded).",
            f"run the cell that promotes {node} (the swarm then has {want + 1} managers), then "
            f"in the exercise cell: `docker node demote {node}`", nodes=nodes)
    leaders = [m.hostname for m in managers if m.leader]
    if len(leaders) != 1:
        return ctx.fail(f"{want} managers, but {len(leaders)} leaders ({_names(leaders)}).",
                        "wait a few seconds for the election to settle, then run the check "
                        "again", nodes=nodes)
    q = quorum(want)
    return ctx.ok(
        f"{want} managers ({_names(names)}); {leaders[0]} is the Leader. A quorum is {q}, so "
        f"the swarm survives losing {want - q} manager{'s' if want - q != 1 else ''}.",
        nodes=nodes,
    )


# ----- 02.quorum-lost ---------------------------------------------------------------------
def manager_names(ctx: CheckContext) -> list[str]:
    """The lab nodes that are swarm managers, even while the swarm has no leader.

    A running manager's ``docker info`` lists the managers' addresses (it can hang for
    ~20 s while a leader steps down: bounded by ``timeout``). A worker's list is a stale
    cache, so it is not used. With no manager running: the roles the nodes were made with."""
    stopped = set(ctx.stopped())
    running = [n for n in ctx.lab.node_names if n not in stopped]
    by_addr = {n.address: n.name for n in ctx.lab.nodes}
    probes = ctx.probe_all(
        "timeout 5 docker info --format '{{.Swarm.ControlAvailable}} "
        "{{json .Swarm.RemoteManagers}}'", running, timeout=15)
    names: set[str] = set()
    for res in probes.values():
        control, _, listed = res.stdout.strip().partition(" ")
        if not res.ok or control != "true":
            continue
        try:
            managers = json.loads(listed)
        except json.JSONDecodeError:
            continue
        for m in managers if isinstance(managers, list) else []:
            addr = str(m.get("Addr", "")).rsplit(":", 1)[0] if isinstance(m, dict) else ""
            if addr in by_addr:
                names.add(by_addr[addr])
    if not names:
        names = {n.name for n in ctx.lab.managers}
    return [n for n in ctx.lab.node_names if n in names]


def _daemon_error(text: str) -> str:
    """The part of a docker CLI error a learner should read."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.split("desc = ", 1)[-1]


@register("02.quorum-lost", title="Lose the quorum: two of three managers down", lab="02",
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
            f"All {len(managers)} managers are powered off: no manager is left to show "
            "what happens without a quorum.",
            f"start one without waiting for it to be Ready: lab.start({managers[0]!r}, "
            "wait=False); then run the check again", machines=machines,
        )
    if len(up) >= need:
        workers = [n for n in stopped_all if n not in managers]
        note = (f" ({_names(workers)} {_be(workers)} a worker: workers take no part in Raft.)"
                if workers else "")
        if stopped:
            msg = (f"Only {_names(stopped)} {_be(stopped)} stopped: {len(up)} of "
                   f"{len(managers)} managers are up, still a majority, so the swarm keeps "
                   f"working.{note}")
        else:
            msg = (f"All {len(managers)} managers are running: the swarm has its quorum "
                   f"({need} of {len(managers)}).{note}")
        more = up[need - 1:]  # keep the first manager up: it will show the error
        return ctx.fail(msg, "stop " + ("one more manager" if len(more) == 1 else
                                          f"{len(more)} managers") + ": "
                        + "; ".join(f"lab.stop({m!r})" for m in more), machines=machines)
    survivor = up[0]
    res = _probe_until_refused(ctx, survivor, float(ctx.params["settle_s"]))
    if res is None:
        return ctx.fail(
            f"{_names(stopped)} are stopped, yet {survivor} still answers `docker node ls`.",
            "a leader notices it lost its majority after about 15 s: wait a little and run "
            "the check again", machines=machines,
        )
    error = (_daemon_error(res.stderr) if res.exit_code not in (124, -1) else
             f"no answer within {_PROBE_TIMEOUT} s")
    return ctx.ok(
        f"{_names(stopped)} are stopped: only {len(up)} of {len(managers)} managers "
        f"{_be(up)} up, fewer than the {need} a quorum needs. `docker node ls` on "
        f"{survivor} fails: {error}",
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


@register("02.recovered", title="Quorum back: every node Ready, a Leader", lab="02",
          params={"settle_s": 30})
def recovered(ctx: CheckContext) -> CheckResult:
    stopped = ctx.stopped()
    if stopped:
        return ctx.fail(
            f"{_names(stopped)} {_be(stopped)} still powered off.",
            f"start {'it' if len(stopped) == 1 else 'them'}: {start_hint(stopped)}",
            machines=ctx.machines(),
        )
    snap = settle(ctx, _recovering(ctx), float(ctx.params["settle_s"]))
    problem = swarm_problem(ctx, _RESTART_HINT)
    if problem is not None:
        return problem
    nodes = {n.hostname: describe(n) for n in snap.nodes}
    unwell = [n for n in snap.nodes if not n.ready or
              (n.is_manager and n.reachability != "reachable")]
    if unwell:
        return ctx.fail(
            "Not every node is back: " + "; ".join(_state(n) for n in unwell) + ".",
            "a node that just started needs a few seconds; run the check again", nodes=nodes)
    assert snap.leader is not None  # settle() waited for one; swarm_problem saw it manageable
    seen = ctx.passed_before("02.quorum-lost")
    if seen is None:
        return ctx.fail(
            f"The swarm is healthy ({snap.leader.hostname} leads), but it has not lost its "
            "quorum since the lab started: there is nothing to recover from.",
            "do exercise 02.quorum-lost first: stop two managers and run its check while "
            "they are down; then start them again", nodes=nodes,
        )
    started = sorted({e.node for e in ctx.events() if e.kind == "start" and e.at >= seen.at})
    if not started:
        return ctx.fail(
            "The swarm is healthy, but no manager was started again with lab.start(...) "
            "since the quorum loss was seen: it cannot have recovered from it.",
            "if the managers were started some other way, stop two managers again, run the "
            "02.quorum-lost check, then start them with lab.start(...)", nodes=nodes)
    took = time.time() - seen.at
    return ctx.ok(
        f"All {len(snap.nodes)} nodes are Ready and {snap.leader.hostname} is the Leader: the "
        f"quorum came back once {_names(started)} started again (the loss was seen "
        f"{took:.0f} s ago).", nodes=nodes,
    )


def _state(n: NodeInfo) -> str:
    if n.is_manager and n.ready:
        return f"{n.hostname} is {n.reachability or 'not reachable'}"
    return f"{n.hostname} is {n.state.capitalize()}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _names(names: list[str]) -> str:
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _be(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"
