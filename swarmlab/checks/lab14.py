"""Lab 14, resources and placement: reservations that leave tasks Pending, a memory limit
that gets a task killed, spreading over zones, and at most one task per node. They are
read from the service's raw spec in the snapshot; 14.oom also asks the node that ran the
killed task whether the kernel's OOM killer did it.
"""

from __future__ import annotations

from typing import Any

from swarmlab import wait
from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import needs
from swarmlab.checks.requires import no_swarm_hint
from swarmlab.checks.workload import (
    lab_node,
    not_running,
    per_node,
    settled_service,
    spread,
    why_not_running,
)
from swarmlab.i18n import N_, _, ngettext
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo

_GIB = 1024 ** 3
_ASKS = N_("{service} asks for {replicas} replicas, not {want}.")
_PLACES_AGAIN = N_("`docker service update -d --force {service}` places them again")


def task_template(snap: Snapshot, svc: ServiceInfo) -> dict[str, Any]:
    """The service's ``Spec.TaskTemplate`` as the Engine API gave it."""
    for raw in (snap.raw.get("services") or {}).get("body") or []:
        if raw.get("ID") == svc.id:
            return dict((raw.get("Spec") or {}).get("TaskTemplate") or {})
    return {}


def resources(snap: Snapshot, svc: ServiceInfo, kind: str) -> tuple[float, int]:
    """(CPUs, memory bytes) of the service's ``Reservations`` or ``Limits``."""
    res = (task_template(snap, svc).get("Resources") or {}).get(kind) or {}
    return int(res.get("NanoCPUs") or 0) / 1e9, int(res.get("MemoryBytes") or 0)


def node_capacity(snap: Snapshot) -> dict[str, tuple[float, int]]:
    """Per node hostname, the (CPUs, memory bytes) its engine reports to the swarm."""
    out = {}
    for raw in (snap.raw.get("nodes") or {}).get("body") or []:
        desc = raw.get("Description") or {}
        res = desc.get("Resources") or {}
        out[str(desc.get("Hostname", ""))] = (int(res.get("NanoCPUs") or 0) / 1e9,
                                              int(res.get("MemoryBytes") or 0))
    return out


def size(num_bytes: int) -> str:
    """Bytes as ``1.5 GiB`` / ``64 MiB``."""
    if num_bytes >= _GIB:
        return f"{num_bytes / _GIB:.1f} GiB"
    return f"{num_bytes / 1024 ** 2:.0f} MiB"


def pending(snap: Snapshot, name: str, why: str) -> list[TaskInfo]:
    """Tasks of ``name`` the scheduler holds back, whose reason contains ``why``."""
    return [t for t in snap.tasks_of(name, running=False) if t.desired_state == "running"
            and t.state == "pending" and why in (t.error + t.message).lower()]


def waiting(held: list[TaskInfo], verb: str) -> str:
    """``1 stays Pending: "no suitable node (...)"`` (``verb``: "stays" or "waits")."""
    said, n = (held[0].error or held[0].message).strip(), len(held)
    text = (ngettext('{n} stays Pending: "{said}"', '{n} stay Pending: "{said}"', n)
            if verb == "stays" else ngettext('{n} waits Pending: "{said}"',
                                             '{n} wait Pending: "{said}"', n))
    return text.format(n=n, said=said)


def _service(name: str, create: str) -> Any:
    """A ``needs`` finder: the settled service ``name`` (its ``create`` command in the
    hint when it is missing)."""
    def find(ctx: CheckContext) -> tuple[Snapshot, ServiceInfo] | CheckResult:
        return settled_service(ctx, str(ctx.params.get("service", name)), _(create),
                               no_swarm_hint("14"))
    return find


# ----- 14.reserve ---------------------------------------------------------------------------
_HUNGRY = N_("on manager1: `docker service create -d --name hungry --replicas 4 "
             "--reserve-cpu N swarmlab/tools`, N being the CPUs a node has (`nproc`)")


@register("14.reserve", title=N_("Reserve more than the nodes have"), lab="14",
          params={"service": "hungry", "replicas": 4, "settle_s": 20})
@needs(_service("hungry", _HUNGRY))
def reserve(ctx: CheckContext, found: tuple[Snapshot, ServiceInfo]) -> CheckResult:
    snap, svc = found
    want = int(ctx.params["replicas"])
    cpus, mem = resources(snap, svc, "Reservations")
    cap = node_capacity(snap)
    details = {"capacity": {h: f"{c:g} CPUs, {size(m)}" for h, (c, m) in cap.items()}}
    if not cpus and not mem:
        lcpu, lmem = resources(snap, svc, "Limits")
        said = _("a limit (--limit-cpu / --limit-memory)") if lcpu or lmem else _("no reservation")
        return ctx.fail(_("{service} has {said}, not a reservation: the scheduler only keeps "
                          "room for what a service reserves, so every task finds a node.").format(
                            service=svc.name, said=said),
                        _("`docker service update --reserve-cpu N {service}` (or remove it "
                          "and create it again): {how}").format(service=svc.name,
                                                                how=_(_HUNGRY)), **details)
    if svc.replicas != want:
        return ctx.fail(_(_ASKS).format(service=svc.name, replicas=svc.replicas, want=want),
                        f"`docker service scale -d {svc.name}={want}`", **details)
    held = pending(snap, svc.name, "insufficient resources")
    running = snap.tasks_of(svc.name)
    what = _(" and ").join(x for x in (f"{cpus:g} CPUs" if cpus else "",
                                    size(mem) if mem else "") if x)
    if not held:
        return ctx.fail(
            _("All {n} tasks of {service} found room: each reserves {what}, and the nodes "
              "have {capacity}.").format(n=len(running), service=svc.name, what=what,
                                         capacity=spread_caps(cap)),
            _("reserve more, so that fewer than {want} tasks fit: `docker service update "
              "--reserve-cpu N {service}` with N = a node's CPUs").format(
                want=want, service=svc.name), **details)
    return ctx.ok(_("{n} of {want} tasks of {service} run ({where}); {waiting}. Each reserves "
                    "{what}.").format(n=len(running), want=want, service=svc.name,
                                      where=spread(per_node(running)),
                                      waiting=waiting(held, "stays"), what=what), **details)


def spread_caps(cap: dict[str, tuple[float, int]]) -> str:
    return ", ".join(f"{h} {c:g} CPUs/{size(m)}" for h, (c, m) in sorted(cap.items()))


# ----- 14.oom -------------------------------------------------------------------------------
_LEAK = N_("on manager1: `docker service create -d --name leak --limit-memory 32m "
           "swarmlab/tools sh -c 'head -c 200m /dev/zero | tail'`")
_OOM_PROBE = "docker inspect -f '{{{{.State.OOMKilled}}}} {{{{.State.ExitCode}}}}' {cid}"


@register("14.oom", title=N_("A task killed for exceeding its memory limit"), lab="14",
          params={"service": "leak", "settle_s": 20})
@needs(_service("leak", _LEAK))
def oom(ctx: CheckContext, found: tuple[Snapshot, ServiceInfo]) -> CheckResult:
    snap, svc = found
    limit, reserved = (resources(snap, svc, kind)[1] for kind in ("Limits", "Reservations"))
    if limit and not killed_under(snap, svc.name, limit):  # the first kill takes seconds
        snap = wait.settle(ctx.refresh, timeout=float(ctx.params["settle_s"]),
                           ok=lambda s: bool(killed_under(s, svc.name, limit))) or snap
    tasks = under_limit(snap, svc.name, limit)
    exits = sorted({t.exit_code for t in tasks if t.exit_code is not None})
    if not limit:
        text = (_("{service} reserves {reserved} but has no memory limit: a reservation is room "
                  "kept, not a ceiling, so its tasks may take what they like (exit codes seen: "
                  "{exits}).") if reserved else
                _("{service} has no memory limit, so its tasks may take what they like (exit "
                  "codes seen: {exits})."))
        return ctx.fail(text.format(service=svc.name, reserved=size(reserved),
                                    exits=exits or _("none yet")),
                        f"`docker service update -d --limit-memory 32m {svc.name}`", exits=exits)
    killed = killed_under(snap, svc.name, limit)
    if not killed:
        done = [t for t in tasks if t.state == "complete"]
        state = why_not_running(snap, svc.name) or _("tasks still starting")
        text = (_("{service} is limited to {limit}, but {n} task(s) completed (exit 0): what the "
                  "command takes fits under {limit}.") if done else
                _("{service} is limited to {limit}, but no task has been killed yet ({state})."))
        return ctx.fail(text.format(service=svc.name, limit=size(limit), n=len(done),
                                    state=state),
                        _("lower the limit below what the task uses: `docker service update -d "
                          "--limit-memory 32m {service}`").format(service=svc.name), exits=exits)
    last = max(killed, key=lambda t: t.updated_at)
    node = lab_node(ctx, last.node)
    res = ctx.probe(node, _OOM_PROBE.format(cid=last.container_id[:12])) if node and \
        last.container_id else None
    seen = res.stdout.split() if res is not None and res.ok else []
    if seen and seen[0] != "true":
        return ctx.fail(_("{task}'s container on {node} was killed (exit 137), but not by the "
                          "out-of-memory killer (OOMKilled false): something sent it "
                          "SIGKILL.").format(task=f"{svc.name}.{last.slot}", node=last.node),
                        _("let the memory limit do it: do not `docker kill` the task"),
                        exits=exits)
    proof = (_("`docker inspect` on {node} says OOMKilled true").format(node=last.node) if seen
             else _("its container is gone from the node, so OOMKilled could not be read"))
    return ctx.ok(_("{n} task(s) of {service} were killed with exit code 137 for going over "
                    "their {limit} limit; {proof}.").format(n=len(killed), service=svc.name,
                                                           limit=size(limit), proof=proof),
                  exits=exits,
                  last_killed=f"{last.node}: {last.error or last.message}")


def under_limit(snap: Snapshot, name: str, limit: int) -> list[TaskInfo]:
    """Tasks of ``name`` made with the memory limit ``limit`` (not those of an earlier spec)."""
    limits = {str(t.get("ID")): int((((t.get("Spec") or {}).get("Resources") or {})
                                     .get("Limits") or {}).get("MemoryBytes") or 0)
              for t in (snap.raw.get("tasks") or {}).get("body") or []}
    return [t for t in snap.tasks_of(name, running=False) if limits.get(t.id, 0) == limit]


def killed_under(snap: Snapshot, name: str, limit: int) -> list[TaskInfo]:
    return [t for t in under_limit(snap, name, limit) if t.exit_code == 137]


# ----- 14.spread ----------------------------------------------------------------------------
_ZONED = N_("on manager1: `docker service create -d --name zoned --replicas 6 "
            "--placement-pref spread=node.labels.zone swarmlab/tools`")


@register("14.spread", title=N_("Spread a service over zones"), lab="14",
          params={"service": "zoned", "label": "zone", "replicas": 6, "settle_s": 20})
@needs(_service("zoned", _ZONED))
def spread_zones(ctx: CheckContext, found: tuple[Snapshot, ServiceInfo]) -> CheckResult:
    snap, svc = found
    key, want = str(ctx.params["label"]), int(ctx.params["replicas"])
    zones = {n.hostname: n.labels.get(key) for n in snap.nodes}
    details: dict[str, Any] = {"zones": zones}
    bare = [h for h, z in zones.items() if not z]
    if bare or len(set(zones.values())) < 2:
        return ctx.fail(
            (ngettext("{nodes} has no {key} label: the spread needs every node labelled, in at "
                      "least two {key}s.", "{nodes} have no {key} label: the spread needs every "
                      "node labelled, in at least two {key}s.", len(bare)) if bare else
             _("Every node is in the same {key}: the spread needs every node labelled, in at "
               "least two {key}s.")).format(nodes=", ".join(bare), key=key),
            _("`docker node update --label-add {key}=east manager1`, and {key}=west on worker1 "
              "and worker2").format(key=key), **details)
    prefs = [str((p.get("Spread") or {}).get("SpreadDescriptor", ""))
             for p in (task_template(snap, svc).get("Placement") or {}).get("Preferences") or ()]
    if f"node.labels.{key}" not in prefs:
        text = (_("{service} spreads over {prefs}, not node.labels.{key}: without it the "
                  "scheduler spreads tasks over nodes, not zones.") if prefs else
                _("{service} has no placement preference, not node.labels.{key}: without it the "
                  "scheduler spreads tasks over nodes, not zones."))
        return ctx.fail(text.format(service=svc.name, prefs=", ".join(prefs), key=key),
                        _("`docker service update -d --force --placement-pref-add "
                          "spread=node.labels.{key} {service}` (--force: tasks already placed "
                          "do not move by themselves)").format(key=key, service=svc.name),
                        prefs=prefs, **details)
    running = snap.tasks_of(svc.name)
    if svc.replicas != want or len(running) != want:
        return not_running(ctx, snap, svc, want) if svc.replicas == want else ctx.fail(
            _(_ASKS).format(service=svc.name, replicas=svc.replicas, want=want),
            f"`docker service scale -d {svc.name}={want}`")
    by_zone: dict[str, int] = {}
    for t in running:
        z = zones.get(t.node) or "?"
        by_zone[z] = by_zone.get(z, 0) + 1
    details["tasks_per_zone"] = by_zone
    if max(by_zone.values()) - min(by_zone.values()) > 1 or len(by_zone) < len(set(zones.values())):
        return ctx.fail(_("{service}'s tasks are not even over the {key}s: {zones}; they were "
                          "placed before the labels or the preference were set.").format(
                            service=svc.name, key=key, zones=by_zone),
                        _(_PLACES_AGAIN).format(service=svc.name), **details)
    return ctx.ok(_("{service}'s {want} tasks are spread evenly over the {key}s: {zones} (per "
                    "node: {spread}).").format(
                      service=svc.name, want=want, key=key, spread=spread(per_node(running)),
                      zones=", ".join(f"{z} {c}" for z, c in sorted(by_zone.items()))),
                  **details)


# ----- 14.max-per-node ----------------------------------------------------------------------
_ONE = N_("on manager1: `docker service create -d --name one --replicas 4 "
          "--replicas-max-per-node 1 swarmlab/tools`")


@register("14.max-per-node", title=N_("At most one task per node"), lab="14",
          params={"service": "one", "replicas": 4, "settle_s": 20})
@needs(_service("one", _ONE))
def max_per_node(ctx: CheckContext, found: tuple[Snapshot, ServiceInfo]) -> CheckResult:
    snap, svc = found
    want = int(ctx.params["replicas"])
    most = int((task_template(snap, svc).get("Placement") or {}).get("MaxReplicas") or 0)
    running = snap.tasks_of(svc.name)
    counts = per_node(running)
    if most != 1:
        text = (_("{service} allows {most} tasks per node ({spread}).") if most else
                _("{service} has no per-node maximum ({spread})."))
        return ctx.fail(text.format(service=svc.name, most=most,
                                    spread=spread(counts) or _("no task")),
                        f"`docker service update -d --replicas-max-per-node 1 {svc.name}`",
                        tasks_per_node=counts)
    if svc.replicas != want:
        return ctx.fail(_("{service} asks for {replicas} replicas, not {want}: ask for more "
                          "tasks than there are nodes to see one wait.").format(
                            service=svc.name, replicas=svc.replicas, want=want),
                        f"`docker service scale -d {svc.name}={want}`", tasks_per_node=counts)
    crowded = {n: c for n, c in counts.items() if c > 1}
    if crowded:
        return ctx.fail(_("{service} allows one task per node, but {crowded} still run more: "
                          "they were placed before the limit was set.").format(
                            service=svc.name, crowded=spread(crowded)),
                        _(_PLACES_AGAIN).format(service=svc.name),
                        tasks_per_node=counts)
    held = pending(snap, svc.name, "max replicas per node")
    if not held:
        return not_running(ctx, snap, svc, want)
    return ctx.ok(_("{service} runs one task on each of {n} nodes ({spread}); "
                    "{waiting}.").format(service=svc.name, n=len(counts), spread=spread(counts),
                                         waiting=waiting(held, "waits")),
                  tasks_per_node=counts)
