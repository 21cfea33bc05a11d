"""Lab 00, welcome: run a first command on a node of a healthy cluster."""

from __future__ import annotations

import re

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import start_hint, swarm_problem
from swarmlab.history import Entry, parse
from swarmlab.i18n import N_, _, ngettext


def history_entries(text: str) -> list[str]:
    """The commands (cell sources) recorded in a node's history file, oldest first."""
    return [e.source for e in parse(text)]


def _first_line(entry: Entry) -> str:
    return next(iter(entry.commands()), entry.source.splitlines()[0].strip())


def _runs(entry: Entry, word: str) -> bool:
    """A line of the entry runs the program ``word`` (``echo docker`` does not)."""
    return any(re.match(rf"^(sudo\s+)?{re.escape(word)}(\s|$)", c) for c in entry.commands())


@register("00.hello", title=N_("Run a command on a node"), lab="00", params={"word": "docker"})
def hello(ctx: CheckContext) -> CheckResult:
    word = str(ctx.params["word"])
    entries = [e for e in ctx.history() if e.commands()]  # a cell of comments runs nothing
    ran = {e.node: [_first_line(x) for x in entries if x.node == e.node] for e in entries}
    first = f"`{word} version`"
    if not entries:
        return ctx.fail(
            _("No command has been run on a node yet."),
            _("make a cell whose first line is `%%node manager1` and second line {first}, "
              "and run it (in a terminal: `swarmlab exec manager1 {word} version`)").format(
                  first=first, word=word),
        )
    tried = [e for e in entries if _runs(e, word)]
    if not tried:
        last = entries[-1]
        line = _first_line(last)
        msg = (_("You ran `{line}` on {node}, but no `{word}` command yet (`{word}` is only a "
                 "word in it: the command is `{command}`).") if word in last.source else
               _("You ran `{line}` on {node}, but no `{word}` command yet."))
        return ctx.fail(
            msg.format(line=line, node=last.node, word=word, command=line.split()[0]),
            _("run {first} or `{word} info` on a node (a `%%node {node}` cell)").format(
                first=first, word=word, node=last.node), ran=ran,
        )
    worked = [e for e in tried if e.ok]
    if not worked:
        last = tried[-1]
        code = (_("an unknown exit code") if last.exit_code is None else
                _("exit code {code}").format(code=last.exit_code))
        return ctx.fail(
            _("You ran `{line}` on {node}, but it failed ({code}).").format(
                line=_first_line(last), node=last.node, code=code),
            _("read its error message, fix the command (for example {first}) and run the "
              "cell again").format(first=first), ran=ran,
        )
    entry = worked[-1]
    unhealthy = _health_problem(ctx)
    if unhealthy is not None:
        return unhealthy
    snap = ctx.snapshot
    leader = snap.leader.hostname if snap.leader else "?"
    return ctx.ok(
        _("You ran `{line}` on {node}; the cluster is healthy: {count} nodes Ready, {leader} "
          "is the Leader.").format(line=_first_line(entry), node=entry.node,
                                   count=len(snap.nodes), leader=leader),
        ran=ran, nodes={n.hostname: n.state for n in snap.nodes},
    )


def _health_problem(ctx: CheckContext) -> CheckResult | None:
    stopped = ctx.stopped()
    if stopped:
        return ctx.fail(
            ngettext("The cluster is not healthy: {nodes} is powered off.",
                     "The cluster is not healthy: {nodes} are powered off.",
                     len(stopped)).format(nodes=", ".join(stopped)),
            ngettext("start it: {how}", "start them: {how}", len(stopped)).format(
                how=start_hint(stopped)),
            machines=ctx.machines(),
        )
    problem = swarm_problem(
        ctx, _("the lab's swarm is formed when the lab is created: run `swarmlab up` "
               "(or swarmlab.up()) again"),
    )
    if problem is not None:
        return problem
    snap = ctx.snapshot
    missing = [n for n in ctx.lab.node_names if snap.node(n) is None]
    not_ready = [_("{node} is {state}").format(node=n.hostname, state=n.state.capitalize())
                 for n in snap.nodes if not n.ready]
    if missing or not_ready:
        what = [*(_("{node} is not in the swarm").format(node=m) for m in missing), *not_ready]
        return ctx.fail(
            _("The cluster is not healthy: {problems}.").format(problems="; ".join(what)),
            _("a node that just started needs a few seconds to be Ready; if one left the "
              "swarm, `swarmlab up` joins it again"),
            nodes={n.hostname: n.state for n in snap.nodes},
        )
    return None
