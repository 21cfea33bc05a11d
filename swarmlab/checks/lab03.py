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
            f"There is no service named {name}; the swarm has {', '.join(others)}.",
            f"the name must be exactly {name}: `docker service rm {others[0]}`, then {first}",
            services=others,
        )
    return ctx.fail(f"There is no service named {name} yet.", first, services=others)


def _not_running(ctx: CheckContext, snap: Snapshot, svc: ServiceInfo, want: int) -> CheckResult:
    """A FAIL saying why fewer tasks run than asked (image missing, still starting...)."""
    running = snap.tasks_of(svc.name)
    bad = [t for t in snap.tasks_of(svc.name, running=False)
           if not t.running and (t.error or t.state in ("rejected", "failed"))]
    why = "; ".join(sorted({f"{t.state}: {t.error or t.message}" for t in bad[-3:]}))
    if "no such image" in why.lower() or "pull access denied" in why.lower():
        hint = (f"the nodes cannot download images; use swarmlab/tools, which every node has "
                f"(`docker service rm {svc.name}`, then create it again with that image)")
    elif why:
        hint = f"read the ERROR column of `docker service ps {svc.name} --no-trunc`"
    else:
        hint = "tasks may still be starting: run the check again in a few seconds"
    return ctx.fail(
        f"{len(running)} of {want} tasks of {svc.name} are Running"
        + (f" ({why})." if why else "."),
        hint, running_per_node=per_node(running),
    )


# ----- 03.create --------------------------------------------------------------------------
@register("03.create", title="Create the service hello", lab="03",
          params={"service": "hello", "replicas": 3, "message": "hello world", "settle_s": 20},
          needs=("swarm",))
def create(ctx: CheckContext) -> CheckResult:
    name, want = str(ctx.params["service"]), int(ctx.params["replicas"])
    message = str(ctx.params["message"])
    full = f"on manager1: `{create_command(name, want, message)}`"
    snap = settle(ctx, [name], float(ctx.params["settle_s"]))
    svc = snap.service(name)
    if svc is None:
        return _missing_service(ctx, snap, name, full)
    if svc.replicas is None or svc.mode != "replicated":
        return ctx.fail(f"{name} runs in {svc.mode} mode (one task on every node), not as "
                        f"{want} replicas.", f"`docker service rm {name}`, then {full}")
    command = shlex.join(svc.command + svc.args)
    if _letters(message) not in _letters(command):
        what = f"`{command}`" if command else "the image's own command"
        return ctx.fail(
            f"{name} runs {what}, not a loop that prints '{message}'.",
            f"put the command after the image name: `docker service rm {name}`, then {full}",
            command=command,
        )
    if svc.replicas != want:
        return ctx.fail(f"{name} asks for {_replicas(svc.replicas)}, not {want}.",
                        f"`docker service scale {name}={want}`", replicas=svc.replicas)
    running = snap.tasks_of(name)
    if len(running) != want:
        return _not_running(ctx, snap, svc, want)
    said = _logs_say(ctx, snap.source.node, name, message)
    if not said:
        return ctx.fail(f"{want} tasks run, but none printed '{message}' yet.",
                        f"look at `docker service logs {name}`; run the check again in a "
                        "second", command=command)
    return ctx.ok(
        f"{name} runs `{command}` in {want} Running tasks ({spread(per_node(running))}); "
        f"its logs say '{said}'.", running_per_node=per_node(running),
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
@register("03.scale", title="Scale hello", lab="03",
          params={"service": "hello", "scale_to": 5, "settle_s": 20}, needs=("swarm",))
def scale(ctx: CheckContext) -> CheckResult:
    name, want = str(ctx.params["service"]), int(ctx.params["scale_to"])
    snap = settle(ctx, [name], float(ctx.params["settle_s"]))
    svc = snap.service(name)
    if svc is None:
        return _missing_service(ctx, snap, name, "create it first (exercise 03.create)")
    if svc.replicas is None:
        return ctx.fail(f"{name} runs in {svc.mode} mode: it has no replica count to scale.",
                        f"`docker service rm {name}` and create it again (exercise 03.create)")
    if svc.replicas != want:
        return ctx.fail(f"{name} asks for {_replicas(svc.replicas)}, not {want}.",
                        f"on manager1: `docker service scale {name}={want}`",
                        replicas=svc.replicas)
    running = snap.tasks_of(name)
    if len(running) != want:
        return _not_running(ctx, snap, svc, want)
    counts = per_node(running)
    several = [n for n, c in counts.items() if c > 1]
    note = (f" {', '.join(several)} {'runs' if len(several) == 1 else 'run'} more than one "
            "task of it." if several else "")
    return ctx.ok(f"{name} has {want} Running tasks: {spread(counts)}.{note}",
                  running_per_node=counts)


# ----- 03.where ---------------------------------------------------------------------------
def read_answer(answer: Any) -> tuple[dict[str, int | None] | None, str]:
    """The learner's answer as {node: number of tasks}, or (None, what is wrong with it).

    Accepted: a dict {name: number of tasks}. A list of names is refused with a reason."""
    if answer is None:
        return None, "no answer given"
    if isinstance(answer, str):
        answer = [w for w in re.split(r"[\s,;]+", answer) if w]
    if isinstance(answer, dict):
        out: dict[str, int | None] = {}
        for k, v in answer.items():
            if not isinstance(k, str) or not isinstance(v, int) or isinstance(v, bool):
                return None, f"{k!r}: {v!r} is not a node name with a number of tasks"
            out[k.strip()] = v
        return out, ""
    if isinstance(answer, (list, tuple, set, frozenset)):
        return None, (f"{sorted(map(str, answer))} lists node names only; give the number of "
                      "tasks on each node")
    return None, f"{answer!r} is not a dict of node names and numbers of tasks"


@register("03.where", title="Which nodes run hello's tasks?", lab="03",
          params={"service": "hello", "answer": None})
def where(ctx: CheckContext) -> CheckResult:
    name = str(ctx.params["service"])
    look = (f"count the Running tasks per node in the NODE column of `docker service ps "
            f"{name} --filter desired-state=running`")
    said, wrong = read_answer(ctx.params["answer"])
    if said is None or not said:
        return ctx.fail(f"Your answer: {wrong or 'an empty dict'}.",
                        f"{look}, then set answer = {{'manager1': 2, ...}} (every node that "
                        "runs a task, with its number of tasks) and run the check again")
    problem = swarm_problem(ctx, no_swarm_hint("03"))
    if problem is not None:
        return problem
    snap = settle(ctx, [name], 10)
    unknown = [n for n in said if n not in ctx.lab.node_names]
    if unknown:
        task_like = [n for n in unknown if n.startswith(f"{name}.")]
        what = (f"{task_like[0]} is a task's name (the NAME column), not a node"
                if task_like else f"{unknown[0]!r} is not a node of this lab")
        return ctx.fail(f"{what}. The lab's nodes: {', '.join(ctx.lab.node_names)}.", look)
    if snap.service(name) is None:
        return _missing_service(ctx, snap, name, "create it first (exercise 03.create)")
    counts = per_node(snap.tasks_of(name))
    if not counts:
        return ctx.fail(f"{name} has no Running task at all.", "do exercises 03.create and "
                        "03.scale first")
    missing = [n for n in counts if n not in said]
    extra = [n for n in said if n not in counts]
    if missing:
        n = missing[0]
        why = (" Managers run tasks too: a manager is also a worker."
               if n in {m.name for m in ctx.lab.managers} else "")
        return ctx.fail(f"You left out {n}: it runs {_tasks(counts[n])} of {name}.{why}", look,
                        answer=list(said), running_per_node=counts)
    if extra:
        return ctx.fail(f"{extra[0]} runs no task of {name}.", look, answer=list(said),
                        running_per_node=counts)
    miscounted = [n for n, c in said.items() if c != counts[n]]
    if miscounted:
        n = miscounted[0]
        return ctx.fail(f"{n} runs {_tasks(counts[n])} of {name}, not {said[n]}.", look,
                        answer=said, running_per_node=counts)
    return ctx.ok(f"Right: the {sum(counts.values())} tasks of {name} run on "
                  f"{spread(counts)}.", running_per_node=counts)


def _replicas(n: int) -> str:
    return f"{n} replica{'' if n == 1 else 's'}"


def _tasks(n: int | None) -> str:
    return f"{n} task{'' if n == 1 else 's'}" if n is not None else "no fixed number of tasks"
