"""Lab 00, welcome: run a first command on a node of a healthy cluster."""

from __future__ import annotations

import re

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import start_hint, swarm_problem
from swarmlab.history import Entry, parse


def history_entries(text: str) -> list[str]:
    """The commands (cell sources) recorded in a node's history file, oldest first."""
    return [e.source for e in parse(text)]


def _first_line(entry: Entry) -> str:
    return next(iter(entry.commands()), entry.source.splitlines()[0].strip())


def _runs(entry: Entry, word: str) -> bool:
    """A line of the entry runs the program ``word`` (``echo docker`` does not)."""
    return any(re.match(rf"^(sudo\s+)?{re.escape(word)}(\s|$)", c) for c in entry.commands())


@register("00.hello", title="Run a command on a node", lab="00", params={"word": "docker"})
def hello(ctx: CheckContext) -> CheckResult:
    word = str(ctx.params["word"])
    entries = [e for e in ctx.history() if e.commands()]  # a cell of comments runs nothing
    ran = {e.node: [_first_line(x) for x in entries if x.node == e.node] for e in entries}
    first = f"`{word} version`"
    if not entries:
        return ctx.fail(
            "No command has been run on a node yet.",
            f"make a cell whose first line is `%%node manager1` and second line {first}, "
            f"and run it (in a terminal: `swarmlab exec manager1 {word} version`)",
        )
    tried = [e for e in entries if _runs(e, word)]
    if not tried:
        last = entries[-1]
        return ctx.fail(
            f"You ran `{_first_line(last)}` on {last.node}, but no `{word}` command yet"
            + (f" (`{word}` is only a word in it: the command is "
               f"`{_first_line(last).split()[0]}`)." if word in last.source else "."),
            f"run {first} or `{word} info` on a node (a `%%node {last.node}` cell)", ran=ran,
        )
    worked = [e for e in tried if e.ok]
    if not worked:
        last = tried[-1]
        code = "an unknown exit code" if last.exit_code is None else f"exit code {last.exit_code}"
        return ctx.fail(
            f"You ran `{_first_line(last)}` on {last.node}, but it failed ({code}).",
            f"read its error message, fix the command (for example {first}) and run the "
            "cell again", ran=ran,
        )
    entry = worked[-1]
    unhealthy = _health_problem(ctx)
    if unhealthy is not None:
        return unhealthy
    snap = ctx.snapshot
    leader = snap.leader.hostname if snap.leader else "?"
    return ctx.ok(
        f"You ran `{_first_line(entry)}` on {entry.node}; the cluster is healthy: "
        f"{len(snap.nodes)} nodes Ready, {leader} is the Leader.",
        ran=ran, nodes={n.hostname: n.state for n in snap.nodes},
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
