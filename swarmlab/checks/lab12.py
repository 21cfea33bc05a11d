"""Lab 12, a registry and your own images: an image built on one node fails on the
others; a registry run as a service; the service deployed from it, pulled by every node.

The registry's address is ``registry.lab:5000``, which lab 12's set-up cell makes every
node resolve to manager1 and trust over plain HTTP (``swarmlab.lab_registry``).
"""

from __future__ import annotations

import json
import shlex

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import needs, swarm_problem
from swarmlab.checks.service_state import settled
from swarmlab.checks.workload import (
    in_motion,
    lab_node,
    missing_service,
    not_running,
    per_node,
    settled_service,
    spread,
    why_not_running,
)
from swarmlab.lab_registry import REGISTRY, REGISTRY_HOST
from swarmlab.state import ServiceInfo, Snapshot

_NO_SWARM = "this lab needs the swarm: run `lab = swarmlab.start_lab('12')` again"
_PARAMS = {"service": "hello", "replicas": 3, "image": "hello:v1", "settle_s": 30,
           "registry_service": "registry", "registry_node": "manager1"}
NO_IMAGE = "no such image"
_CURL = "curl -s -m 3 -o /dev/null -w '%{{http_code}}' http://{registry}/v2/{path}"
Found = tuple[Snapshot, ServiceInfo]


def from_registry(image: str) -> bool:
    """Whether an image name starts with a registry host (``host:port/...``, ``a.b/...``)."""
    first, slash, _ = image.partition("/")
    return bool(slash) and ("." in first or ":" in first or first == "localhost")


def registry_image(p: dict[str, object]) -> str:
    return f"{REGISTRY}/{p['image']}"


def _hello(ctx: CheckContext) -> Found | CheckResult:
    p = ctx.params
    name = str(p["service"])
    how = f"on manager1: `docker service create --name {name} --replicas {p['replicas']} " \
          f"{p['image']}`"
    problem = swarm_problem(ctx, _NO_SWARM)
    if problem is not None:
        return problem
    # Rejected tasks of the local image retry for ever: wait for an update, not for them.
    snap = settled(ctx, float(p["settle_s"]), lambda s: _updating(s, name) or in_motion(s, name))
    svc = snap.service(name)
    return (snap, svc) if svc is not None else missing_service(ctx, snap, name, how)


def _updating(snap: Snapshot, name: str) -> bool:
    svc = snap.service(name)
    us = svc.update_status if svc else None
    return us is not None and us.state in ("updating", "rollback_started")


# ----- 12.local ---------------------------------------------------------------------------
@register("12.local", title="A local image fails on the other nodes", lab="12", params=_PARAMS)
@needs(_hello)
def local(ctx: CheckContext, found: Found) -> CheckResult:
    snap, svc = found
    p = ctx.params
    image = str(p["image"])
    tasks = snap.tasks_of(svc.name, running=False)
    missing = sorted({t.node for t in tasks if NO_IMAGE in t.error.lower() and t.node})
    built_on = sorted({t.node for t in snap.tasks_of(svc.name)})
    details = {"image": svc.image, "rejected_on": missing, "running_on": per_node(
        snap.tasks_of(svc.name))}
    if from_registry(svc.image):
        return ctx.fail(f"{svc.name} already runs {svc.image}, from a registry.",
                        f"this exercise shows what goes wrong first: `docker service rm "
                        f"{svc.name}`, then create it from the local tag {image}", **details)
    if svc.image != image:
        return ctx.fail(f"{svc.name} runs {svc.image}, not your image {image}.",
                        f"build {image} on manager1 (`docker build -t {image} ...`), then "
                        f"`docker service update --image {image} {svc.name}`", **details)
    if not missing:
        why = why_not_running(snap, svc.name)
        return ctx.fail("No task has been rejected for a missing image yet"
                        + (f" ({why})." if why else "."),
                        "wait a few seconds and check again; `docker service ps "
                        f"{svc.name}` shows the rejected tasks", **details)
    if not built_on:
        return ctx.fail(f"No task of {svc.name} runs anywhere: {image} is on no node.",
                        f"build it on manager1 first: `docker build -t {image} ...`",
                        **details)
    return ctx.ok(f"{image} exists only where it was built: tasks run on "
                  f"{', '.join(built_on)}, and {', '.join(missing)} rejected theirs with "
                  "\"No such image\" (the ERROR column of `docker service ps`).", **details)


# ----- 12.registry ------------------------------------------------------------------------
def _registry_how(p: dict[str, object]) -> str:
    return (f"`docker service create --name {p['registry_service']} --constraint "
            f"node.hostname=={p['registry_node']} --publish mode=host,published=5000,"
            "target=5000 swarmlab/registry`")


def _registry(ctx: CheckContext) -> Found | CheckResult:
    return settled_service(ctx, str(ctx.params["registry_service"]),
                           _registry_how(ctx.params), _NO_SWARM)


@register("12.registry", title="A registry runs as a service", lab="12", params=_PARAMS)
@needs(_registry)
def registry(ctx: CheckContext, found: Found) -> CheckResult:
    snap, svc = found
    p = ctx.params
    how, host = _registry_how(p), str(p["registry_node"])
    fix = f"`docker service rm {svc.name}`, then {how}"
    details = {"image": svc.image, "ports": [f"{pt.published}:{pt.target}/{pt.mode}"
                                             for pt in svc.ports], "constraints": svc.constraints}
    if svc.image.split(":")[0] != "swarmlab/registry":
        return ctx.fail(f"{svc.name} runs {svc.image}, not swarmlab/registry.", fix, **details)
    port = next((pt for pt in svc.ports if pt.published == 5000), None)
    if port is None or port.target != 5000:
        return ctx.fail(f"{svc.name} does not publish port 5000 (to its port 5000).", fix,
                        **details)
    if port.mode != "host":
        return ctx.fail(
            f"{svc.name} publishes 5000 through the routing mesh (ingress), which needs the "
            "kernel's IPVS; this host has none, so the port answers nowhere.", fix, **details)
    running = snap.tasks_of(svc.name)
    if not running:
        return not_running(ctx, snap, svc, svc.replicas)
    on = sorted({t.node for t in running})
    if on != [host]:
        return ctx.fail(
            f"The registry's task runs on {', '.join(on)}, but {REGISTRY_HOST} points to "
            f"{host}: the nodes would knock on the wrong door.",
            f"pin it to {host}: `docker service update --constraint-add "
            f"node.hostname=={host} {svc.name}`", **details)
    codes = ctx.probe_all(_CURL.format(registry=REGISTRY, path=""))
    bad = {n: (r.stdout.strip() or r.stderr.strip()[:80]) for n, r in codes.items()
           if r.stdout.strip() != "200"}
    if bad:
        return ctx.fail(
            f"http://{REGISTRY}/v2/ does not answer on {', '.join(bad)} ({bad}).",
            "run the lab's set-up cell again (`prepare_registry(lab)`), then check again",
            **details)
    return ctx.ok(f"The registry runs on {host} and answers at {REGISTRY} from every node.",
                  **details)


# ----- 12.from-registry -------------------------------------------------------------------
def _tags(ctx: CheckContext, repo: str) -> list[str]:
    res = ctx.probe(str(ctx.params["registry_node"]),
                    f"curl -s -m 3 http://{REGISTRY}/v2/{repo}/tags/list")
    try:
        return list(json.loads(res.stdout or "{}").get("tags") or [])
    except ValueError:
        return []


@register("12.from-registry", title="Every node pulls the service's image", lab="12",
          params=_PARAMS)
@needs(_hello)
def deployed(ctx: CheckContext, found: Found) -> CheckResult:
    snap, svc = found
    p = ctx.params
    want, repo_tag = registry_image(p), str(p["image"])
    repo, _, tag = repo_tag.partition(":")
    push = f"`docker tag {repo_tag} {want}` and `docker push {want}` on manager1"
    update = f"`docker service update --image {want} {svc.name}`"
    running = snap.tasks_of(svc.name)
    details = {"image": svc.image, "tasks_per_node": per_node(running),
               "constraints": svc.constraints}
    if not from_registry(svc.image):
        pushed = tag in _tags(ctx, repo)
        return ctx.fail(
            f"{svc.name} still runs {svc.image}, a name no registry serves: only the node "
            f"that built it has it ({spread(per_node(running)) or 'no task runs'}).",
            (f"the image is in the registry, but the service was not told: {update}"
             if pushed else f"{push}, then {update}"), **details)
    if svc.image != want:
        return ctx.fail(f"{svc.name} runs {svc.image}, not {want}.", update, **details)
    if tag not in _tags(ctx, repo):
        return ctx.fail(f"The registry has no {repo_tag}: the nodes cannot pull {want}.",
                        f"{push}; the tasks then start by themselves", **details)
    us = svc.update_status
    if us is not None and us.state == "paused":
        return ctx.fail(f"The update to {want} paused: {us.message}.",
                        f"`docker service ps {svc.name} --no-trunc` shows why the new task "
                        f"failed; then `{update[1:-1]}` again", **details)
    replicas = int(p["replicas"])
    if svc.replicas != replicas or len(running) != replicas:
        return not_running(ctx, snap, svc, replicas)
    nodes = sorted({t.node for t in running})
    ready = [n for n in snap.nodes if n.ready and n.availability == "active"]
    if len(nodes) == 1 and len(ready) > 1:
        pin = f" (constraints: {', '.join(svc.constraints)})" if svc.constraints else ""
        return ctx.fail(
            f"All {replicas} tasks run on {nodes[0]}{pin}: that dodges the missing image "
            "instead of letting every node pull it.",
            (f"`docker service update --constraint-rm '{svc.constraints[0]}' {svc.name}`"
             if svc.constraints else f"`docker service update --force {svc.name}`")
            + " so the swarm spreads the tasks again", **details)
    # A pulled image is named by its digest (TAG <none>): ask for the repository.
    listed = f"docker image ls -q {shlex.quote(want.rpartition(':')[0])}"
    have = {n: ctx.probe(lab_node(ctx, n) or n, listed) for n in nodes}
    lacking = [n for n, r in have.items() if not (r.ok and r.stdout.strip())]
    if lacking:
        return ctx.fail(f"{', '.join(lacking)} runs a task but has no {want}.",
                        f"`docker service update --force {svc.name}` makes them pull again",
                        **details)
    return ctx.ok(f"All {replicas} tasks of {svc.name} run {want}, on {', '.join(nodes)}; "
                  "each of these nodes pulled the image from the registry.", **details)
