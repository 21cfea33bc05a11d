"""Lab 00, welcome: run a first command on a node of a healthy cluster."""

from __future__ import annotations

import re

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import start_hint, swarm_problem
from swarmlab.history import HISTORY_FILE

_STAMP = re.compile(r"^# \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", re.MULTILINE)


def history_entries(text: str) -> list[str]:
    """The commands (cell sources) recorded in a node's history file, oldest first."""
    return [e.strip() for e in _STAMP.split(text) if e.strip()]


def _first_line(entry: str) -> str:
    return next((ln.strip() for ln in entry.splitlines() if ln.strip()), "")


@register("00.hello", title="Run a command on a node", lab="00", params={"word": "docker"})
def hello(ctx: CheckContext) -> CheckResult:
    word = str(ctx.params["word"])
    probes = ctx.probe_all(f"cat {HISTORY_FILE} 2>/dev/null", timeout=15)
    ran = {node: history_entries(r.stdout) for node, r in probes.items() if r.exit_code >= 0}
    ran = {node: entries for node, entries in ran.items() if entries}
    if not ran:
        return ctx.fail(
            "No command has been run on a node yet.",
            "make a cell whose first line is `%%node manager1` and second line "
            "`docker version`, and run it (in a terminal: `swarmlab exec manager1 docker version`)",
        )
    with_word = [(node, e) for node, entries in ran.items() for e in entries if word in e]
    if not with_word:
        node, entries = next(iter(ran.items()))
        return ctx.fail(
            f"You ran `{_first_line(entries[-1])}` on {node}, but no `{word}` command yet.",
            f"run `{word} version` or `{word} info` on a node (a `%%node {node}` cell)",
            ran={n: [_first_line(e) for e in es] for n, es in ran.items()},
        )
    node, entry = with_word[-1]
    unhealthy = _health_problem(ctx)
    if unhealthy is not None:
        return unhealthy
    snap = ctx.snapshot
    leader = snap.leader.hostname if snap.leader else "?"
    return ctx.ok(
        f"You ran `{_first_line(entry)}` on {node}; the cluster is healthy: "
        f"{len(snap.nodes)} nodes Ready, {leader} is the Leader.",
        ran={n: [_first_line(e) for e in es] for n, es in ran.items()},
        nodes={n.hostname: n.state for n in snap.nodes},
    )


def _health_problem(ctx: CheckContext) -> CheckResult | None:
    stopped = ctx.stopped()
    if stopped:
        return ctx.fail(
            f"The cluster is not healthy: {', '.join(stopped)} "
            f"{'is' if len(stopped) == 1 else 'are'} powered off.",
            f"start {'it' if len(stopped) == 1 else 'them'}: {start_hint(stopped)}",
            machines=ctx.machines(),
        )
    problem = swarm_problem(
        ctx, "the lab's swarm is formed when the lab is created: run `swarmlab up` "
             "(or swarmlab.up()) again",
    )
    if problem is not None:
        return problem
    snap = ctx.snapshot
    missing = [n for n in ctx.lab.node_names if snap.node(n) is None]
    not_ready = [f"{n.hostname} is {n.state.capitalize()}" for n in snap.nodes if not n.ready]
    if missing or not_ready:
        what = [*(f"{m} is not in the swarm" for m in missing), *not_ready]
        return ctx.fail(
            f"The cluster is not healthy: {'; '.join(what)}.",
            "a node that just started needs a few seconds to be Ready; if one left the "
            "swarm, `swarmlab up` joins it again",
            nodes={n.hostname: n.state for n in snap.nodes},
        )
    return None
