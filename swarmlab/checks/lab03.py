"""Lab 03, services: create ``hello``, scale it, and say where its tasks run.

``03.where`` takes the learner's answer as a parameter: how many Running tasks each node
runs, ``lab.check("03.where", answer={"manager1": 2, "worker1": 2, "worker2": 1})``. Node
names alone are not enough: 5 tasks on 3 nodes nearly always cover every node, so listing
all nodes would pass without looking.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import swarm_problem
from swarmlab.checks.requires import no_swarm_hint
from swarmlab.checks.services import per_node, settle, spread
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import ServiceInfo, Snapshot

_LOOP = "sh -c 'while true; do echo {m}; sleep 1; done'"


def create_command(name: str, replicas: int, message: str) -> str:
    """The command exercise 03.create asks for."""
    return (f"docker service create --name {name} --replicas {replicas} swarmlab/tools "
            + _LOOP.format(m=message))


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _missing_service(ctx: CheckContext, snap: Snapshot, name: str, first: str) -> CheckResult:
    others = [s.name for s in snap.services]
    if others:
        return ctx.fail(
            _("There is no service named {name}; the swarm has {services}.").format(
                name=name, services=", ".join(others)),
            _("the name must be exactly {name}: `docker service rm {other}`, then {first}"
              ).format(name=name, other=others[0], first=first),
            services=others,
        )
    return ctx.fail(_("There is no service named {name} yet.").format(name=name), first,
                    services=others)


def _not_running(ctx: CheckContext, snap: Snapshot, svc: ServiceInfo, want: int) -> CheckResult:
    """A FAIL saying why fewer tasks run than asked (image missing, still starting...)."""
    running = snap.tasks_of(svc.name)
    bad = [t for t in snap.tasks_of(svc.name, running=False)
           if not t.running and (t.error or t.state in ("rejected", "failed"))]
    why = "; ".join(sorted({f"{t.state}: {t.error or t.message}" for t in bad[-3:]}))
    if "no such image" in why.lower() or "pull access denied" in why.lower():
        hint = _("the nodes cannot download images; use swarmlab/tools, which every node has "
                 "(`docker service rm {service}`, then create it again with that image)")
    elif why:
        hint = _("read the ERROR column of `docker service ps {service} --no-trunc`")
    else:
        hint = _("tasks may still be starting: run the check again in a few seconds")
    return ctx.fail(
        _("{running} of {want} tasks of {service} are Running").format(
            running=len(running), want=want, service=svc.name)
        + (f" ({why})." if why else "."),
        hint.format(service=svc.name), running_per_node=per_node(running),
    )


# ----- 03.create --------------------------------------------------------------------------
@register("03.create", title=N_("Create the service hello"), lab="03",
          params={"service": "hello", "replicas": 3, "message": "hello world", "settle_s": 20},
          needs=("swarm",))
def create(ctx: CheckContext) -> CheckResult:
    name, want = str(ctx.params["service"]), int(ctx.params["replicas"])
    message = str(ctx.params["message"])
    full = _("on manager1: `{command}`").format(command=create_command(name, want, message))
    snap = settle(ctx, [name], float(ctx.params["settle_s"]))
    svc = snap.service(name)
    if svc is None:
        return _missing_service(ctx, snap, name, full)
    if svc.replicas is None or svc.mode != "replicated":
        return ctx.fail(_("{name} runs in {mode} mode (one task on every node), not as "
                          "{want} replicas.").format(name=name, mode=svc.mode, want=want),
                        _("`docker service rm {name}`, then {full}").format(name=name, full=full))
    command = shlex.join(svc.command + svc.args)
    if _letters(message) not in _letters(command):
        what = f"`{command}`" if command else _("the image's own command")
        return ctx.fail(
            _("{name} runs {what}, not a loop that prints '{message}'.").format(
                name=name, what=what, message=message),
            _("put the command after the image name: `docker service rm {name}`, then {full}"
              ).format(name=name, full=full),
            command=command,
        )
    if svc.replicas != want:
        return ctx.fail(_replicas_not(name, svc.replicas, want),
                        f"`docker service scale {name}={want}`", replicas=svc.replicas)
    running = snap.tasks_of(name)
    if len(running) != want:
        return _not_running(ctx, snap, svc, want)
    said = _logs_say(ctx, snap.source.node, name, message)
    if not said:
        return ctx.fail(_("{want} tasks run, but none printed '{message}' yet.").format(
                            want=want, message=message),
                        _("look at `docker service logs {name}`; run the check again in a "
                          "second").format(name=name), command=command)
    return ctx.ok(
        _("{name} runs `{command}` in {want} Running tasks ({spread}); its logs say '{said}'."
          ).format(name=name, command=command, want=want, spread=spread(per_node(running)),
                   said=said), running_per_node=per_node(running),
    )


def _logs_say(ctx: CheckContext, manager: str, service: str, message: str) -> str:
    """A log line of the service that carries ``message`` (tried for ~2 s), or ""."""
    def line() -> str:
        res = ctx.probe(manager, f"docker service logs --raw --tail 5 {service} 2>&1",
                        timeout=20)
        return next((ln.strip() for ln in res.stdout.splitlines()
                     if _letters(message) in _letters(ln)), "")
    return wait.settle(line, timeout=2, interval=1) or ""


# ----- 03.scale ---------------------------------------------------------------------------
@register("03.scale", title=N_("Scale hello"), lab="03",
          params={"service": "hello", "scale_to": 5, "settle_s": 20}, needs=("swarm",))
def scale(ctx: CheckContext) -> CheckResult:
    name, want = str(ctx.params["service"]), int(ctx.params["scale_to"])
    snap = settle(ctx, [name], float(ctx.params["settle_s"]))
    svc = snap.service(name)
    if svc is None:
        return _missing_service(ctx, snap, name, _("create it first (exercise 03.create)"))
    if svc.replicas is None:
        return ctx.fail(_("{name} runs in {mode} mode: it has no replica count to scale.").format(
                            name=name, mode=svc.mode),
                        _("`docker service rm {name}` and create it again (exercise 03.create)"
                          ).format(name=name))
    if svc.replicas != want:
        return ctx.fail(_replicas_not(name, svc.replicas, want),
                        _("on manager1: `docker service scale {name}={want}`").format(
                            name=name, want=want), replicas=svc.replicas)
    running = snap.tasks_of(name)
    if len(running) != want:
        return _not_running(ctx, snap, svc, want)
    counts = per_node(running)
    several = [n for n, c in counts.items() if c > 1]
    note = ngettext(" {nodes} runs more than one task of it.",
                    " {nodes} run more than one task of it.", len(several)).format(
                        nodes=", ".join(several)) if several else ""
    return ctx.ok(_("{name} has {want} Running tasks: {spread}.{note}").format(
                      name=name, want=want, spread=spread(counts), note=note),
                  running_per_node=counts)


# ----- 03.where ---------------------------------------------------------------------------
def read_answer(answer: Any) -> tuple[dict[str, int | None] | None, str]:
    """The learner's answer as {node: number of tasks}, or (None, what is wrong with it).

    Accepted: a dict {name: number of tasks}. A list of names is refused with a reason."""
    if answer is None:
        return None, _("no answer given")
    if isinstance(answer, str):
        answer = [w for w in re.split(r"[\s,;]+", answer) if w]
    if isinstance(answer, dict):
        out: dict[str, int | None] = {}
        for k, v in answer.items():
            if not isinstance(k, str) or not isinstance(v, int) or isinstance(v, bool):
                return None, _("{key}: {value} is not a node name with a number of tasks").format(
                    key=repr(k), value=repr(v))
            out[k.strip()] = v
        return out, ""
    if isinstance(answer, (list, tuple, set, frozenset)):
        return None, _("{answer} lists node names only; give the number of tasks on each node"
                       ).format(answer=sorted(map(str, answer)))
    return None, _("{answer} is not a dict of node names and numbers of tasks").format(
        answer=repr(answer))


@register("03.where", title=N_("Which nodes run hello's tasks?"), lab="03",
          params={"service": "hello", "answer": None})
def where(ctx: CheckContext) -> CheckResult:
    name = str(ctx.params["service"])
    look = _("count the Running tasks per node in the NODE column of `docker service ps "
             "{name} --filter desired-state=running`").format(name=name)
    said, wrong = read_answer(ctx.params["answer"])
    if said is None or not said:
        return ctx.fail(_("Your answer: {wrong}.").format(wrong=wrong or _("an empty dict")),
                        _("{look}, then set answer = {{'manager1': 2, ...}} (every node that "
                          "runs a task, with its number of tasks) and run the check again"
                          ).format(look=look))
    problem = swarm_problem(ctx, no_swarm_hint("03"))
    if problem is not None:
        return problem
    snap = settle(ctx, [name], 10)
    unknown = [n for n in said if n not in ctx.lab.node_names]
    if unknown:
        task_like = [n for n in unknown if n.startswith(f"{name}.")]
        what = (_("{task} is a task's name (the NAME column), not a node").format(
                    task=task_like[0]) if task_like else
                _("{node} is not a node of this lab").format(node=repr(unknown[0])))
        return ctx.fail(_("{what}. The lab's nodes: {nodes}.").format(
            what=what, nodes=", ".join(ctx.lab.node_names)), look)
    if snap.service(name) is None:
        return _missing_service(ctx, snap, name, _("create it first (exercise 03.create)"))
    counts = per_node(snap.tasks_of(name))
    if not counts:
        return ctx.fail(_("{name} has no Running task at all.").format(name=name),
                        _("do exercises 03.create and 03.scale first"))
    missing = [n for n in counts if n not in said]
    extra = [n for n in said if n not in counts]
    if missing:
        n = missing[0]
        why = (_(" Managers run tasks too: a manager is also a worker.")
               if n in {m.name for m in ctx.lab.managers} else "")
        return ctx.fail(_("You left out {node}: it runs {tasks} of {name}.{why}").format(
                            node=n, tasks=_tasks(counts[n]), name=name, why=why), look,
                        answer=list(said), running_per_node=counts)
    if extra:
        return ctx.fail(_("{node} runs no task of {name}.").format(node=extra[0], name=name),
                        look, answer=list(said), running_per_node=counts)
    miscounted = [n for n, c in said.items() if c != counts[n]]
    if miscounted:
        n = miscounted[0]
        return ctx.fail(_("{node} runs {tasks} of {name}, not {said}.").format(
                            node=n, tasks=_tasks(counts[n]), name=name, said=said[n]), look,
                        answer=said, running_per_node=counts)
    return ctx.ok(_("Right: the {count} tasks of {name} run on {spread}.").format(
                      count=sum(counts.values()), name=name, spread=spread(counts)),
                  running_per_node=counts)


def _replicas_not(name: str, replicas: int, want: int) -> str:
    return ngettext("{name} asks for {n} replica, not {want}.",
                    "{name} asks for {n} replicas, not {want}.", replicas).format(
                        name=name, n=replicas, want=want)


def _tasks(n: int | None) -> str:
    if n is None:
        return _("no fixed number of tasks")
    return ngettext("{n} task", "{n} tasks", n).format(n=n)
