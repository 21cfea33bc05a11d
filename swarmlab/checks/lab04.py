"""Lab 04, replicated and global services: one task of ``agent`` on every node."""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.services import (
    failing_reason,
    in_motion,
    live_tasks,
    missing_service,
    per_node,
    settled,
    spread,
)
from swarmlab.checks.times import created
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import Snapshot


def create_command(name: str) -> str:
    """The command exercise 04.global asks for."""
    return f"docker service create --mode global --name {name} swarmlab/tools"


def _eligible(snap: Snapshot) -> list[str]:
    """Nodes a global service must run on: Ready and Active."""
    return [n.hostname for n in snap.nodes if n.ready and n.availability == "active"]


def _global_moving(snap: Snapshot, name: str) -> bool:
    counts = per_node(live_tasks(snap, name))
    return in_motion(snap, name) or any(counts.get(n, 0) != 1 for n in _eligible(snap))


@register("04.global", title=N_("A global service: one task per node"), lab="04",
          params={"service": "agent", "wait_s": 20},
          needs=("swarm",))
def global_service(ctx: CheckContext) -> CheckResult:
    name = str(ctx.params["service"])
    how = f"`{create_command(name)}`"
    snap = ctx.snapshot
    svc = snap.service(name)
    if svc is None:
        other = next((s.name for s in snap.services if s.mode == "global"), None)
        if other:
            return ctx.fail(_("Your global service is called {other}, not {name}.").format(
                                other=other, name=name),
                            _("`docker service rm {other}`, then {how}").format(
                                other=other, how=how),
                            services=[s.name for s in snap.services])
        return missing_service(ctx, snap, name, how, known=("two",))
    if svc.mode != "global":
        said = {"name": name, "mode": svc.mode, "replicas": svc.replicas, "how": how}
        why = _("{name} is {mode} with {replicas} replica(s), not global: a node that joins "
                "later gets no task of it.")
        fix = _("a service's mode cannot be changed: `docker service rm {name}`, then {how} "
                "(no --replicas: a global service has no replica count)")
        return ctx.fail(why.format(**said), fix.format(**said), mode=svc.mode,
                        replicas=svc.replicas)
    snap = settled(ctx, float(ctx.params["wait_s"]), lambda s: _global_moving(s, name))
    counts = per_node(live_tasks(snap, name))
    eligible = _eligible(snap)
    missing = [n for n in eligible if counts.get(n, 0) == 0]
    doubled = [n for n in eligible if counts.get(n, 0) > 1]
    details = {"tasks_per_node": counts, "ready_nodes": eligible}
    if missing:
        why = failing_reason(snap, name)
        return ctx.fail(
            ngettext("{nodes} runs no task of {name} (tasks run on {spread}).",
                     "{nodes} run no task of {name} (tasks run on {spread}).",
                     len(missing)).format(nodes=", ".join(missing), name=name,
                                          spread=spread(counts)),
            _("its tasks fail: {why}").format(why=why) if why else
            _("a node that just joined needs a few seconds: check again; "
              "`docker service ps {name}` shows what each task is doing").format(name=name),
            **details,
        )
    if doubled:
        return ctx.fail(_("{nodes} runs more than one task of {name}.").format(
                            nodes=", ".join(doubled), name=name),
                        _("a task is still stopping: check again in a few seconds"), **details)
    since = created(svc) + 2
    late = [n for n in eligible
            if any(created(t) > since for t in live_tasks(snap, name) if t.node == n)]
    note = ngettext(" {nodes} got its task on joining.", " {nodes} got their task on joining.",
                    len(late)).format(nodes=", ".join(late)) \
        if late and len(late) < len(eligible) else ""
    return ctx.ok(_("{name} runs exactly one task on each of the {count} Ready nodes "
                    "({nodes}).{note}").format(name=name, count=len(eligible),
                                               nodes=", ".join(eligible), note=note), **details)
