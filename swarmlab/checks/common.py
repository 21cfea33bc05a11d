"""Verdicts several labs share: no swarm, no leader, stopped nodes; checks that need
something found first."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from swarmlab.capabilities import IPVS_HOW, ipvs_available
from swarmlab.checks.base import CheckContext, CheckFn, CheckResult
from swarmlab.i18n import _
from swarmlab.state import NodeInfo

Found = TypeVar("Found")


def names_text(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (``none`` for no names), in the current language."""
    if not names:
        return _("none")
    if len(names) == 1:
        return names[0]
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def start_hint(names: list[str]) -> str:
    return ", ".join(f"lab.start({n!r})" for n in names)


def swarm_problem(ctx: CheckContext, no_swarm_hint: str) -> CheckResult | None:
    """A FAIL when the cluster cannot be managed right now; None when it can."""
    snap = ctx.snapshot
    if not snap.swarm_active:
        return ctx.fail(
            _("There is no swarm: {node}'s engine says Swarm: {state}.").format(
                node=snap.source.node, state=snap.source.local_state),
            no_swarm_hint,
            seen_from=snap.source.node, errors=list(snap.errors),
        )
    if snap.manageable:
        return None
    stopped = ctx.stopped()
    if snap.no_leader:
        msg = _("The swarm has no leader: too few managers are up, so management calls fail "
                "(seen from {node}).")
        hint = (_("start the stopped nodes ({how}) and wait ~10 s for an election").format(
                    how=start_hint(stopped)) if stopped else
                _("wait a few seconds for an election; if it persists, more than half of "
                  "the managers are unreachable"))
    else:
        msg = _("No manager answers management calls (seen from {node}).")
        hint = (_("start the stopped nodes: {how}").format(how=start_hint(stopped)) if stopped
                else _("promote a node from a working manager, or check `docker info` on a "
                       "manager"))
    return ctx.fail(msg.format(node=snap.source.node), hint,
                    stopped=stopped, errors=list(snap.errors))


def role_word(n: NodeInfo) -> str:
    if n.leader:
        return _("the Leader")
    if n.is_manager:
        return _("a manager ({reachability})").format(
            reachability=n.reachability or _("unknown"))
    return _("a worker")


def describe(n: NodeInfo) -> dict[str, str]:
    """A node's row for a check's details."""
    return {"role": n.role, "state": n.state, "availability": n.availability,
            "manager": "leader" if n.leader else n.reachability, "address": n.address}


def needs_ipvs(ctx: CheckContext, node: str) -> CheckResult | None:
    """A SKIP when ``node``'s kernel has no IPVS (routing mesh, VIPs); None when it has."""
    ok, why = ipvs_available(ctx.lab.node(node))
    return None if ok else ctx.skip(why, IPVS_HOW)


def needs(find: Callable[[CheckContext], Found | CheckResult]
          ) -> Callable[[Callable[[CheckContext, Found], CheckResult]], CheckFn]:
    """A check that needs something first (the lab's service, ...): ``find`` gives it to
    the check as its second argument, or returns the FAIL that is then the verdict."""
    def wrap(check: Callable[[CheckContext, Found], CheckResult]) -> CheckFn:
        @functools.wraps(check)
        def run(ctx: CheckContext) -> CheckResult:
            found = find(ctx)
            return found if isinstance(found, CheckResult) else check(ctx, found)
        return run
    return wrap
