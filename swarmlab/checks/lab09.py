"""Lab 09, volumes: a named volume that outlives a task, ``volume-nocopy``, a bind mount
that needs its folder on every node, and per-node data.

The checks look inside the tasks (``docker exec`` on the node that runs each one). The
``swarmlab/db`` image logs every start into ``/data/starts.log`` and ships one record,
``/data/greeting``: both show what a volume kept or was given.
"""

from __future__ import annotations

import time

from swarmlab.checks.base import CheckContext, CheckResult, Requirement, register
from swarmlab.checks.requires import found_service, running, service, swarm
from swarmlab.checks.services import in_task, not_running, per_node, task_name
from swarmlab.state import MountInfo, ServiceInfo, TaskInfo

IMAGE = "swarmlab/db"
SEED = "greeting"  # the record the image ships in /data


def mount_problem(ctx: CheckContext, svc: ServiceInfo, kind: str, source: str,
                  target: str, how: str) -> CheckResult | None:
    """A FAIL naming what differs between the service's mount and the one asked for."""
    mounts = [m for m in svc.mounts if m.target.rstrip("/") == target] or list(svc.mounts)
    if not mounts:
        return ctx.fail(f"{svc.name} has no mount at all.", how)
    m = mounts[0]
    shown = _show(m)
    if m.target.rstrip("/") != target:
        return ctx.fail(f"{svc.name} mounts {shown}, not at {target}.", how, mount=shown)
    if m.type != kind:
        return ctx.fail(f"{svc.name} mounts a {m.type} at {target}, not a {kind}.", how,
                        mount=shown)
    if m.source.rstrip("/") != source.rstrip("/"):
        return ctx.fail(f"{svc.name} mounts {m.source or 'an anonymous volume'} at {target}, "
                        f"not {source}.", how, mount=shown)
    return None


def _show(m: MountInfo) -> str:
    opts = ",volume-nocopy" if m.no_copy else ""
    return f"type={m.type},source={m.source or '(anonymous)'},target={m.target}{opts}"


def _mounted(kind: str, source: str, how: str) -> tuple[Requirement, ...]:
    """The settled service with the mount asked for (``source``: the parameter naming it;
    ``how``: the command, ``{param}`` templates); else the FAIL saying there is no swarm or
    no such service, or what differs in its mount."""
    def mount(ctx: CheckContext) -> CheckResult | None:
        p = ctx.params
        return mount_problem(ctx, found_service(ctx), kind, str(p[source]), str(p["target"]),
                             how.format(**p))
    return swarm(), service(how=how, settle=True), mount


def starts(log: str) -> list[str]:
    """The container hostnames ``starts.log`` says started on this volume, oldest first."""
    return [ln.split(" started ", 1)[1].strip() for ln in log.splitlines() if " started " in ln]


# ----- 09.volume --------------------------------------------------------------------------
@register("09.volume", title="A named volume outlives its task", lab="09",
          params={"service": "db", "volume": "dbdata", "target": "/data", "node": "worker1",
                  "settle_s": 25},
          needs=(*_mounted("volume", "volume", "on manager1: `docker service create --name "
                           "{service} --constraint node.hostname=={node} --mount type=volume,"
                           "source={volume},target={target} " + IMAGE + "`, then `docker "
                           "service update --force {service}`"), running()))
def volume(ctx: CheckContext) -> CheckResult:
    p, snap = ctx.params, ctx.snapshot
    name, vol, target = str(p["service"]), str(p["volume"]), str(p["target"])
    task = snap.tasks_of(name)[0]
    res = in_task(ctx, task, f"cat {target}/starts.log 2>&1")
    started = starts(res.stdout)
    me = task.container_id[:12]
    earlier = [h for h in started if h != me]
    before = [t for t in snap.tasks_of(name, running=False)
              if not t.running and t.container_id and t.container_id[:12] in earlier]
    moved = sorted({t.node for t in snap.tasks_of(name, running=False)} - {task.node})
    log = {"node": task.node, "starts.log": started}
    if not earlier:
        if moved:
            return ctx.fail(
                f"{task_name(task)} runs on {task.node}, whose {vol} volume has seen only "
                f"this task start; earlier tasks ran on {', '.join(moved)}, whose volume is a "
                "different one.",
                f"a volume lives on one node: pin the service with `docker service update "
                f"--constraint-add node.hostname=={task.node} {name}`, then "
                f"`docker service update --force {name}` twice", **log)
        return ctx.fail(f"{vol} on {task.node} has seen one start only ({me}).",
                        f"restart the task: `docker service update --force {name}`", **log)
    note = f" (the earlier task was {task_name(before[0])})" if before else ""
    return ctx.ok(f"{vol} on {task.node} keeps the start log of {len(started)} containers: "
                  f"{me} now sees what {', '.join(earlier)} wrote before it{note}.", **log)


# ----- 09.nocopy --------------------------------------------------------------------------
_NOCOPY = ("on manager1: `docker service create --name {service} --mount "
           "type=volume,source={volume},target={target},volume-nocopy " + IMAGE + "`")


@register("09.nocopy", title="volume-nocopy: a new volume stays empty", lab="09",
          params={"service": "db-empty", "volume": "emptydata", "target": "/data",
                  "settle_s": 25},
          needs=(*_mounted("volume", "volume", _NOCOPY), running()))
def nocopy(ctx: CheckContext) -> CheckResult:
    p, snap, svc = ctx.params, ctx.snapshot, found_service(ctx)
    name, vol, target = str(p["service"]), str(p["volume"]), str(p["target"])
    how = _NOCOPY.format(**p)
    mount = next(m for m in svc.mounts if m.target.rstrip("/") == target)
    files = {t: _listing(ctx, t, target) for t in snap.tasks_of(name)}
    copied = [t for t, names in files.items() if SEED in names]
    shown = {f"{task_name(t)} on {t.node}": names for t, names in files.items()}
    if not mount.no_copy:
        return ctx.fail(
            f"{name}'s volume got a copy of the image's files: {target} holds "
            f"{', '.join(sorted(set().union(*files.values())))}.",
            f"add volume-nocopy: `docker service rm {name}`, remove the volume on that node "
            f"(`docker volume rm {vol}`), then {how}", files=shown)
    if copied:
        t = copied[0]
        return ctx.fail(
            f"{name} asks for volume-nocopy, but {vol} on {t.node} already held the image's "
            f"{SEED}: it was not new (an earlier service filled it).",
            f"nocopy only matters for a new volume: `docker service rm {name}`, then on "
            f"{t.node} `docker volume rm {vol}`, and create the service again", files=shown)
    return ctx.ok(f"{target} in {name}'s task holds only what the task wrote "
                  f"({', '.join(sorted(set().union(*files.values()))) or 'nothing'}): the "
                  f"image's {SEED} was not copied into the new volume.", files=shown)


def _listing(ctx: CheckContext, task: TaskInfo, path: str) -> list[str]:
    res = in_task(ctx, task, f"ls -A {path} 2>/dev/null")
    return sorted(res.stdout.split())


# ----- 09.bind ----------------------------------------------------------------------------
_BIND = ("create {source} on every node (`%node worker1 mkdir -p {source}`, ...), then on "
         "manager1: `docker service create --name {service} --mode global --mount "
         "type=bind,source={source},target={target} swarmlab/tools`")


@register("09.bind", title="A bind mount needs its folder on every node", lab="09",
          params={"service": "site", "source": "/srv/swarmlab/site", "target": "/srv/site",
                  "settle_s": 25},
          needs=_mounted("bind", "source", _BIND))
def bind(ctx: CheckContext) -> CheckResult:
    p, snap, svc = ctx.params, ctx.snapshot, found_service(ctx)
    name, source, target = str(p["service"]), str(p["source"]), str(p["target"])
    how = _BIND.format(**p)
    if svc.mode != "global":
        return ctx.fail(f"{name} runs {svc.replicas} replica(s), not one task on every node.",
                        f"`docker service rm {name}`, then {how}")
    deadline = time.monotonic() + float(p["settle_s"])
    while True:
        running = {t.node for t in snap.tasks_of(name)}
        eligible = [n.hostname for n in snap.nodes if n.ready and n.availability == "active"]
        missing = [n for n in eligible if n not in running]
        if not missing:
            return ctx.ok(f"{name} runs on {', '.join(sorted(running))}, each task seeing its "
                          f"own node's {source} at {target}.",
                          tasks_per_node=per_node(snap.tasks_of(name)))
        folder = ctx.probe_all(f"test -d {source} && echo yes",
                               nodes=[n for n in missing if n in ctx.lab.node_names])
        absent = [n for n, r in folder.items() if r.stdout.strip() != "yes"]
        if absent:
            return ctx.fail(
                f"{', '.join(absent)} cannot start {name}'s task: {source} does not exist "
                f"there (a bind mount's source must exist on every node that may run it).",
                " and ".join(f"`%node {n} mkdir -p {source}`" for n in absent)
                + "; the swarm retries the task by itself within seconds",
                running_on=sorted(running))
        if time.monotonic() > deadline:  # the folders exist now: the swarm retries soon
            return not_running(ctx, snap, svc, None)
        time.sleep(1.5)
        snap = ctx.refresh()
        svc = snap.service(name) or svc


# ----- 09.per-node ------------------------------------------------------------------------
_PER_NODE = ("on manager1: `docker service create --name {service} --mode global --mount "
             "type=volume,source={volume},target={target} " + IMAGE + "`")


@register("09.per-node", title="One volume name, one volume per node", lab="09",
          params={"service": "notes", "volume": "notes", "target": "/data", "settle_s": 25},
          needs=_mounted("volume", "volume", _PER_NODE))
def per_node_data(ctx: CheckContext) -> CheckResult:
    p, snap = ctx.params, ctx.snapshot
    name, vol, target = str(p["service"]), str(p["volume"]), str(p["target"])
    how = _PER_NODE.format(**p)
    running = snap.tasks_of(name)
    nodes = sorted({t.node for t in running})
    if len(nodes) < 2:
        return ctx.fail(
            f"Only {', '.join(nodes) or 'no node'} runs a task of {name}, so only one node "
            f"has a {vol} volume to compare.",
            f"run one task on every node: `docker service rm {name}`, then {how}")
    logs = {t.node: starts(in_task(ctx, t, f"cat {target}/starts.log 2>&1").stdout)
            for t in running}
    mine = {t.node: t.container_id[:12] for t in running}
    shared = [n for n, seen in logs.items()
              if any(h in mine.values() and h != mine[n] for h in seen)]
    side = {n: ", ".join(seen) or "(empty)" for n, seen in sorted(logs.items())}
    if shared:
        return ctx.fail(
            f"{shared[0]}'s {target} lists tasks that run on other nodes: these nodes share "
            "one folder, so this is not a per-node volume.",
            f"use a named volume (type=volume), not a shared path: {how}", starts=side)
    return ctx.ok(
        f"Each of {len(nodes)} nodes has its own {vol} volume: "
        + "; ".join(f"{n} logged {side[n]}" for n in side) + ". Same name, different data.",
        starts=side)
