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
from swarmlab.checks.requires import no_swarm_hint
from swarmlab.checks.service_state import settled
from swarmlab.checks.services import STARTING, changing, update_under_way
from swarmlab.checks.workload import (
    lab_node,
    missing_service,
    not_running,
    per_node,
    settled_service,
    spread,
    why_not_running,
)
from swarmlab.i18n import N_, _
from swarmlab.lab_registry import REGISTRY, REGISTRY_HOST
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo

_PARAMS = {"service": "hello", "replicas": 3, "image": "hello:v1", "settle_s": 30,
           "update_s": 120, "registry_service": "registry", "registry_node": "manager1"}
NO_IMAGE = "no such image"
_CURL = "curl -s -m 3 -o /dev/null -w '%{{http_code}}' http://{registry}/v2/{path}"
Found = tuple[Snapshot, ServiceInfo]


def from_registry(image: str) -> bool:
    """Whether an image name starts with a registry host (``host:port/...``, ``a.b/...``)."""
    first, slash = image.partition("/")[:2]
    return bool(slash) and ("." in first or ":" in first or first == "localhost")


def registry_image(p: dict[str, object]) -> str:
    return f"{REGISTRY}/{p['image']}"


def _hello(ctx: CheckContext) -> Found | CheckResult:
    p = ctx.params
    name = str(p["service"])
    how = _("on manager1: {command}").format(
        command=f"`docker service create --name {name} --replicas {p['replicas']} {p['image']}`")
    problem = swarm_problem(ctx, no_swarm_hint("12"))
    if problem is not None:
        return problem
    # Rejected tasks of the local image retry for ever: wait for an update, not for them.
    snap = settled(ctx, float(p["settle_s"]), lambda s: changing(s, name))
    if update_under_way(snap, name) or _pulling(snap, name):
        # A rolling update takes a while per task (pull, start, watch): while one runs, or
        # new tasks of the registry's image still pull, wait up to update_s, not settle_s.
        snap = settled(ctx, float(p["update_s"]),
                       lambda s: update_under_way(s, name) or bool(_pulling(s, name)))
    svc = snap.service(name)
    return (snap, svc) if svc is not None else missing_service(ctx, snap, name, how)


def _pulling(snap: Snapshot, name: str) -> list[TaskInfo]:
    """Tasks of the service's current image, from a registry, that a node took and is
    still bringing to Running (pulling, starting). Not Pending ones: no node can take them
    (a wrong constraint), and waiting does not change that. Images are compared as parsed:
    without their digests."""
    svc = snap.service(name)
    if svc is None or not from_registry(svc.image):
        return []
    return [t for t in snap.tasks_of(name, running=False) if t.desired_state == "running"
            and t.node and t.state in STARTING and t.state not in ("new", "pending")
            and t.image == svc.image]


# ----- 12.local ---------------------------------------------------------------------------
@register("12.local", title=N_("A local image fails on the other nodes"), lab="12", params=_PARAMS)
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
        return ctx.fail(_("{service} already runs {image}, from a registry.").format(
                            service=svc.name, image=svc.image),
                        _("this exercise shows what goes wrong first: `docker service rm "
                          "{service}`, then create it from the local tag {image}").format(
                            service=svc.name, image=image), **details)
    if svc.image != image:
        return ctx.fail(_("{service} runs {image}, not your image {want}.").format(
                            service=svc.name, image=svc.image, want=image),
                        _("build {image} on manager1 (`docker build -t {image} ...`), then "
                          "`docker service update --image {image} {service}`").format(
                            image=image, service=svc.name), **details)
    if not missing:
        why = why_not_running(snap, svc.name)
        return ctx.fail(_("No task has been rejected for a missing image yet ({why}).").format(
                            why=why) if why else
                        _("No task has been rejected for a missing image yet."),
                        _("wait a few seconds and check again; `docker service ps {service}` "
                          "shows the rejected tasks").format(service=svc.name), **details)
    if not built_on:
        return ctx.fail(_("No task of {service} runs anywhere: {image} is on no node.").format(
                            service=svc.name, image=image),
                        _("build it on manager1 first: `docker build -t {image} ...`").format(
                            image=image), **details)
    return ctx.ok(_("{image} exists only where it was built: tasks run on {nodes}, and "
                    "{missing} rejected theirs with \"No such image\" (the ERROR column of "
                    "`docker service ps`).").format(image=image, nodes=", ".join(built_on),
                                                    missing=", ".join(missing)), **details)


# ----- 12.registry ------------------------------------------------------------------------
def _registry_how(p: dict[str, object]) -> str:
    return (f"`docker service create --name {p['registry_service']} --constraint "
            f"node.hostname=={p['registry_node']} --publish mode=host,published=5000,"
            "target=5000 swarmlab/registry`")


def _registry(ctx: CheckContext) -> Found | CheckResult:
    return settled_service(ctx, str(ctx.params["registry_service"]),
                           _registry_how(ctx.params), no_swarm_hint("12"))


@register("12.registry", title=N_("A registry runs as a service"), lab="12", params=_PARAMS)
@needs(_registry)
def registry(ctx: CheckContext, found: Found) -> CheckResult:
    snap, svc = found
    p = ctx.params
    how, host = _registry_how(p), str(p["registry_node"])
    fix = _("`docker service rm {service}`, then {how}").format(service=svc.name, how=how)
    details = {"image": svc.image, "ports": [f"{pt.published}:{pt.target}/{pt.mode}"
                                             for pt in svc.ports], "constraints": svc.constraints}
    if svc.image.split(":")[0] != "swarmlab/registry":
        return ctx.fail(_("{service} runs {image}, not swarmlab/registry.").format(
                            service=svc.name, image=svc.image), fix, **details)
    port = next((pt for pt in svc.ports if pt.published == 5000), None)
    if port is None or port.target != 5000:
        return ctx.fail(_("{service} does not publish port 5000 (to its port 5000).").format(
                            service=svc.name), fix, **details)
    if port.mode != "host":
        return ctx.fail(
            _("{service} publishes 5000 through the routing mesh (ingress), which needs the "
              "kernel's IPVS; this host has none, so the port answers nowhere.").format(
                service=svc.name), fix, **details)
    running = snap.tasks_of(svc.name)
    if not running:
        return not_running(ctx, snap, svc, svc.replicas)
    on = sorted({t.node for t in running})
    if on != [host]:
        return ctx.fail(
            _("The registry's task runs on {nodes}, but {name} points to {node}: the nodes "
              "would knock on the wrong door.").format(nodes=", ".join(on), name=REGISTRY_HOST,
                                                       node=host),
            _("pin it to {node}: `docker service update --constraint-add "
              "node.hostname=={node} {service}`").format(node=host, service=svc.name),
            **details)
    codes = ctx.probe_all(_CURL.format(registry=REGISTRY, path=""))
    bad = {n: (r.stdout.strip() or r.stderr.strip()[:80]) for n, r in codes.items()
           if r.stdout.strip() != "200"}
    if bad:
        return ctx.fail(
            _("http://{registry}/v2/ does not answer on {nodes} ({codes}).").format(
                registry=REGISTRY, nodes=", ".join(bad), codes=bad),
            _("run the lab's set-up cell again (`prepare_registry(lab)`), then check again"),
            **details)
    return ctx.ok(_("The registry runs on {node} and answers at {registry} from every "
                    "node.").format(node=host, registry=REGISTRY), **details)


# ----- 12.from-registry -------------------------------------------------------------------
def _tags(ctx: CheckContext, repo: str) -> list[str]:
    res = ctx.probe(str(ctx.params["registry_node"]),
                    f"curl -s -m 3 http://{REGISTRY}/v2/{repo}/tags/list")
    try:
        return list(json.loads(res.stdout or "{}").get("tags") or [])
    except ValueError:
        return []


@register("12.from-registry", title=N_("Every node pulls the service's image"), lab="12",
          params=_PARAMS)
@needs(_hello)
def deployed(ctx: CheckContext, found: Found) -> CheckResult:
    snap, svc = found
    p = ctx.params
    want, repo_tag = registry_image(p), str(p["image"])
    repo, tag = repo_tag.partition(":")[::2]
    push = _("`docker tag {image} {want}` and `docker push {want}` on manager1").format(
        image=repo_tag, want=want)
    update = f"`docker service update --image {want} {svc.name}`"
    running = snap.tasks_of(svc.name)
    details = {"image": svc.image, "tasks_per_node": per_node(running),
               "constraints": svc.constraints}
    if not from_registry(svc.image):
        pushed = tag in _tags(ctx, repo)
        return ctx.fail(
            _("{service} still runs {image}, a name no registry serves: only the node that "
              "built it has it ({spread}).").format(
                service=svc.name, image=svc.image,
                spread=spread(per_node(running)) or _("no task runs")),
            (_("the image is in the registry, but the service was not told: {update}") if pushed
             else _("{push}, then {update}")).format(push=push, update=update), **details)
    if svc.image != want:
        return ctx.fail(_("{service} runs {image}, not {want}.").format(
                            service=svc.name, image=svc.image, want=want), update, **details)
    if tag not in _tags(ctx, repo):
        return ctx.fail(_("The registry has no {image}: the nodes cannot pull {want}.").format(
                            image=repo_tag, want=want),
                        _("{push}; the tasks then start by themselves").format(push=push),
                        **details)
    us = svc.update_status
    if us is not None and us.state == "paused":
        return ctx.fail(_("The update to {want} paused: {message}.").format(
                            want=want, message=us.message),
                        _("`docker service ps {service} --no-trunc` shows why the new task "
                          "failed; then `{update}` again").format(service=svc.name,
                                                                  update=update[1:-1]),
                        **details)
    replicas = int(p["replicas"])
    if (us is not None and us.state == "updating") or _pulling(snap, svc.name):
        return ctx.fail(_("The update to {want} is still rolling out: {n} of {replicas} "
                          "tasks run it.").format(
                            want=want, replicas=replicas,
                            n=sum(t.image == want for t in running)),
                        _("wait a few seconds and check again; `docker service ps {service}` "
                          "shows its progress").format(service=svc.name), **details)
    if svc.replicas != replicas or len(running) != replicas:
        return not_running(ctx, snap, svc, replicas)
    nodes = sorted({t.node for t in running})
    ready = [n for n in snap.nodes if n.ready and n.availability == "active"]
    if len(nodes) == 1 and len(ready) > 1:
        return ctx.fail(
            (_("All {n} tasks run on {node} (constraints: {constraints}): that dodges the "
               "missing image instead of letting every node pull it.") if svc.constraints else
             _("All {n} tasks run on {node}: that dodges the missing image instead of letting "
               "every node pull it.")).format(n=replicas, node=nodes[0],
                                              constraints=", ".join(svc.constraints)),
            _("{command} so the swarm spreads the tasks again").format(
                command=f"`docker service update --constraint-rm '{svc.constraints[0]}' "
                        f"{svc.name}`" if svc.constraints
                        else f"`docker service update --force {svc.name}`"), **details)
    # A pulled image is named by its digest (TAG <none>): ask for the repository.
    listed = f"docker image ls -q {shlex.quote(want.rpartition(':')[0])}"
    have = {n: ctx.probe(lab_node(ctx, n) or n, listed) for n in nodes}
    lacking = [n for n, r in have.items() if not (r.ok and r.stdout.strip())]
    if lacking:
        return ctx.fail(_("{nodes} runs a task but has no {want}.").format(
                            nodes=", ".join(lacking), want=want),
                        _("`docker service update --force {service}` makes them pull "
                          "again").format(service=svc.name), **details)
    return ctx.ok(_("All {n} tasks of {service} run {want}, on {nodes}; each of these nodes "
                    "pulled the image from the registry.").format(
                      n=replicas, service=svc.name, want=want, nodes=", ".join(nodes)),
                  **details)
