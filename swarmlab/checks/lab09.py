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
from swarmlab.i18n import N_, _
from swarmlab.state import MountInfo, ServiceInfo, TaskInfo

IMAGE = "swarmlab/db"
SEED = "greeting"  # the record the image ships in /data


def mount_problem(ctx: CheckContext, svc: ServiceInfo, kind: str, source: str,
                  target: str, how: str) -> CheckResult | None:
    """A FAIL naming what differs between the service's mount and the one asked for."""
    mounts = [m for m in svc.mounts if m.target.rstrip("/") == target] or list(svc.mounts)
    if not mounts:
        return ctx.fail(_("{service} has no mount at all.").format(service=svc.name), how)
    m = mounts[0]
    shown = _show(m)
    if m.target.rstrip("/") != target:
        return ctx.fail(_("{service} mounts {mount}, not at {target}.").format(
                            service=svc.name, mount=shown, target=target), how, mount=shown)
    if m.type != kind:
        return ctx.fail(_("{service} mounts a {type} at {target}, not a {kind}.").format(
                            service=svc.name, type=m.type, target=target, kind=kind), how,
                        mount=shown)
    if m.source.rstrip("/") != source.rstrip("/"):
        return ctx.fail(_("{service} mounts {source} at {target}, not {want}.").format(
                            service=svc.name, source=m.source or _("an anonymous volume"),
                            target=target, want=source), how, mount=shown)
    return None


def _show(m: MountInfo) -> str:
    opts = ",volume-nocopy" if m.no_copy else ""
    return f"type={m.type},source={m.source or '(anonymous)'},target={m.target}{opts}"


def _mounted(kind: str, source: str, how: str) -> tuple[Requirement, ...]:
    """The settled service with the mount asked for (``source``: the parameter naming it;
    ``how``: the command, a ``{param}`` template marked ``N_``); else the FAIL saying there
    is no swarm or no such service, or what differs in its mount."""
    def mount(ctx: CheckContext) -> CheckResult | None:
        p = ctx.params
        return mount_problem(ctx, found_service(ctx), kind, str(p[source]), str(p["target"]),
                             _(how).format(**p))
    return swarm(), service(how=how, settle=True), mount


def starts(log: str) -> list[str]:
    """The container hostnames ``starts.log`` says started on this volume, oldest first."""
    return [ln.split(" started ", 1)[1].strip() for ln in log.splitlines() if " started " in ln]


# ----- 09.volume --------------------------------------------------------------------------
@register("09.volume", title=N_("A named volume outlives its task"), lab="09",
          params={"service": "db", "volume": "dbdata", "target": "/data", "node": "worker1",
                  "settle_s": 25},
          needs=(*_mounted("volume", "volume", N_(
              "on manager1: `docker service create --name {service} --constraint "
              "node.hostname=={node} --mount type=volume,source={volume},target={target} "
              "swarmlab/db`, then `docker service update --force {service}`")), running()))
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
                _("{task} runs on {node}, whose {volume} volume has seen only this task start; "
                  "earlier tasks ran on {moved}, whose volume is a different one.").format(
                    task=task_name(task), node=task.node, volume=vol, moved=", ".join(moved)),
                _("a volume lives on one node: pin the service with `docker service update "
                  "--constraint-add node.hostname=={node} {service}`, then `docker service "
                  "update --force {service}` twice").format(node=task.node, service=name),
                **log)
        return ctx.fail(_("{volume} on {node} has seen one start only ({me}).").format(
                            volume=vol, node=task.node, me=me),
                        _("restart the task: `docker service update --force {service}`").format(
                            service=name), **log)
    text = (_("{volume} on {node} keeps the start log of {n} containers: {me} now sees what "
              "{earlier} wrote before it (the earlier task was {task}).") if before else
            _("{volume} on {node} keeps the start log of {n} containers: {me} now sees what "
              "{earlier} wrote before it."))
    return ctx.ok(text.format(volume=vol, node=task.node, n=len(started), me=me,
                              earlier=", ".join(earlier),
                              task=task_name(before[0]) if before else ""), **log)


# ----- 09.nocopy --------------------------------------------------------------------------
_NOCOPY = N_("on manager1: `docker service create --name {service} --mount "
             "type=volume,source={volume},target={target},volume-nocopy swarmlab/db`")


@register("09.nocopy", title=N_("volume-nocopy: a new volume stays empty"), lab="09",
          params={"service": "db-empty", "volume": "emptydata", "target": "/data",
                  "settle_s": 25},
          needs=(*_mounted("volume", "volume", _NOCOPY), running()))
def nocopy(ctx: CheckContext) -> CheckResult:
    p, snap, svc = ctx.params, ctx.snapshot, found_service(ctx)
    name, vol, target = str(p["service"]), str(p["volume"]), str(p["target"])
    how = _(_NOCOPY).format(**p)
    mount = next(m for m in svc.mounts if m.target.rstrip("/") == target)
    files = {t: _listing(ctx, t, target) for t in snap.tasks_of(name)}
    copied = [t for t, names in files.items() if SEED in names]
    shown = {_("{task} on {node}").format(task=task_name(t), node=t.node): names
             for t, names in files.items()}
    held = ", ".join(sorted(set().union(*files.values())))
    if not mount.no_copy:
        return ctx.fail(
            _("{service}'s volume got a copy of the image's files: {target} holds "
              "{files}.").format(service=name, target=target, files=held),
            _("add volume-nocopy: `docker service rm {service}`, remove the volume on that "
              "node (`docker volume rm {volume}`), then {how}").format(service=name, volume=vol,
                                                                      how=how), files=shown)
    if copied:
        t = copied[0]
        return ctx.fail(
            _("{service} asks for volume-nocopy, but {volume} on {node} already held the "
              "image's {seed}: it was not new (an earlier service filled it).").format(
                service=name, volume=vol, node=t.node, seed=SEED),
            _("nocopy only matters for a new volume: `docker service rm {service}`, then on "
              "{node} `docker volume rm {volume}`, and create the service again").format(
                service=name, node=t.node, volume=vol), files=shown)
    return ctx.ok(_("{target} in {service}'s task holds only what the task wrote ({files}): "
                    "the image's {seed} was not copied into the new volume.").format(
                      target=target, service=name, files=held or _("nothing"), seed=SEED),
                  files=shown)


def _listing(ctx: CheckContext, task: TaskInfo, path: str) -> list[str]:
    res = in_task(ctx, task, f"ls -A {path} 2>/dev/null")
    return sorted(res.stdout.split())


# ----- 09.bind ----------------------------------------------------------------------------
_BIND = N_("create {source} on every node (`%node worker1 mkdir -p {source}`, ...), then on "
           "manager1: `docker service create --name {service} --mode global --mount "
           "type=bind,source={source},target={target} swarmlab/tools`")


@register("09.bind", title=N_("A bind mount needs its folder on every node"), lab="09",
          params={"service": "site", "source": "/srv/swarmlab/site", "target": "/srv/site",
                  "settle_s": 25},
          needs=_mounted("bind", "source", _BIND))
def bind(ctx: CheckContext) -> CheckResult:
    p, snap, svc = ctx.params, ctx.snapshot, found_service(ctx)
    name, source, target = str(p["service"]), str(p["source"]), str(p["target"])
    how = _(_BIND).format(**p)
    if svc.mode != "global":
        return ctx.fail(_("{service} runs {n} replica(s), not one task on every node.").format(
                            service=name, n=svc.replicas), _(_RM_THEN).format(service=name,
                                                                              how=how))
    deadline = time.monotonic() + float(p["settle_s"])
    while True:
        running = {t.node for t in snap.tasks_of(name)}
        eligible = [n.hostname for n in snap.nodes if n.ready and n.availability == "active"]
        missing = [n for n in eligible if n not in running]
        if not missing:
            return ctx.ok(_("{service} runs on {nodes}, each task seeing its own node's "
                            "{source} at {target}.").format(service=name,
                                                            nodes=", ".join(sorted(running)),
                                                            source=source, target=target),
                          tasks_per_node=per_node(snap.tasks_of(name)))
        folder = ctx.probe_all(f"test -d {source} && echo yes",
                               nodes=[n for n in missing if n in ctx.lab.node_names])
        absent = [n for n, r in folder.items() if r.stdout.strip() != "yes"]
        if absent:
            return ctx.fail(
                _("{nodes} cannot start {service}'s task: {source} does not exist there (a "
                  "bind mount's source must exist on every node that may run it).").format(
                    nodes=", ".join(absent), service=name, source=source),
                _("{commands}; the swarm retries the task by itself within seconds").format(
                    commands=_(" and ").join(f"`%node {n} mkdir -p {source}`" for n in absent)),
                running_on=sorted(running))
        if time.monotonic() > deadline:  # the folders exist now: the swarm retries soon
            return not_running(ctx, snap, svc, None)
        time.sleep(1.5)
        snap = ctx.refresh()
        svc = snap.service(name) or svc


# ----- 09.per-node ------------------------------------------------------------------------
_PER_NODE = N_("on manager1: `docker service create --name {service} --mode global --mount "
               "type=volume,source={volume},target={target} swarmlab/db`")
_RM_THEN = N_("`docker service rm {service}`, then {how}")


@register("09.per-node", title=N_("One volume name, one volume per node"), lab="09",
          params={"service": "notes", "volume": "notes", "target": "/data", "settle_s": 25},
          needs=_mounted("volume", "volume", _PER_NODE))
def per_node_data(ctx: CheckContext) -> CheckResult:
    p, snap = ctx.params, ctx.snapshot
    name, vol, target = str(p["service"]), str(p["volume"]), str(p["target"])
    how = _(_PER_NODE).format(**p)
    running = snap.tasks_of(name)
    nodes = sorted({t.node for t in running})
    if len(nodes) < 2:
        return ctx.fail(
            _("Only {nodes} runs a task of {service}, so only one node has a {volume} volume "
              "to compare.").format(nodes=", ".join(nodes) or _("no node"), service=name,
                                    volume=vol),
            _("run one task on every node: `docker service rm {service}`, then {how}").format(
                service=name, how=how))
    logs = {t.node: starts(in_task(ctx, t, f"cat {target}/starts.log 2>&1").stdout)
            for t in running}
    mine = {t.node: t.container_id[:12] for t in running}
    shared = [n for n, seen in logs.items()
              if any(h in mine.values() and h != mine[n] for h in seen)]
    side = {n: ", ".join(seen) or _("(empty)") for n, seen in sorted(logs.items())}
    if shared:
        return ctx.fail(
            _("{node}'s {target} lists tasks that run on other nodes: these nodes share one "
              "folder, so this is not a per-node volume.").format(node=shared[0], target=target),
            _("use a named volume (type=volume), not a shared path: {how}").format(how=how),
            starts=side)
    return ctx.ok(
        _("Each of {n} nodes has its own {volume} volume: {logs}. Same name, different "
          "data.").format(n=len(nodes), volume=vol, logs="; ".join(
            _("{node} logged {starts}").format(node=n, starts=side[n]) for n in side)),
        starts=side)
