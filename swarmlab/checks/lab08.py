"""Lab 08, networks: an overlay network shared by two services, discovery by DNS,
round-robin answers from every replica, and the ingress routing mesh (needs IPVS).

Every request goes from inside the lab: a client task on the overlay network, or a node
asking its own published port.
"""

from __future__ import annotations

import re
import time
from collections import Counter

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import needs_ipvs, swarm_problem
from swarmlab.checks.workload import (
    addresses_on,
    in_task,
    lab_node,
    missing_service,
    not_running,
    per_node,
    settle,
    spread,
    task_name,
)
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo

_NO_SWARM = "this lab needs the swarm: run `lab = swarmlab.start_lab('08')` again"
_PAIR = {"network": "appnet", "service": "web", "client": "client", "settle_s": 20}


def _create_hint(p: dict[str, object]) -> str:
    net, web, client = p["network"], p["service"], p["client"]
    return (f"on manager1: `docker network create --driver overlay --attachable {net}`, "
            f"`docker service create --name {web} --network {net} --replicas 3 "
            "--endpoint-mode dnsrr swarmlab/web:v1` and "
            f"`docker service create --name {client} --network {net} swarmlab/tools`")


def _pair_problem(ctx: CheckContext) -> tuple[Snapshot, CheckResult | None]:
    """The overlay network and both services on it with Running tasks, or a FAIL."""
    p = ctx.params
    net, names = str(p["network"]), [str(p["service"]), str(p["client"])]
    problem = swarm_problem(ctx, _NO_SWARM)
    if problem is not None:
        return ctx.snapshot, problem
    snap = settle(ctx, names, float(p["settle_s"]))
    info = snap.network(net)
    if info is None:
        return snap, ctx.fail(f"There is no network named {net}.", _create_hint(p),
                              networks=[n.name for n in snap.networks])
    if info.driver != "overlay":
        return snap, ctx.fail(
            f"{net} is a {info.driver} network ({info.scope} scope): it lives on one engine "
            "only, so swarm services cannot use it.",
            f"remove it (`docker network rm {net}`) and create it with `--driver overlay`")
    for name in names:
        svc = snap.service(name)
        if svc is None:
            return snap, missing_service(ctx, snap, name, _create_hint(p))
        if net not in svc.networks:
            on = ", ".join(svc.networks) or "no network of its own (only ingress)"
            return snap, ctx.fail(
                f"{name} is not on {net}; it is on {on}. Services talk by name only when "
                "they share a network.",
                f"`docker service update --network-add {net} {name}`", networks=list(svc.networks))
        if not snap.tasks_of(name):
            return snap, not_running(ctx, snap, svc, svc.replicas)
    return snap, None


@register("08.overlay", title="Two services on one overlay network", lab="08", params=_PAIR)
def overlay(ctx: CheckContext) -> CheckResult:
    snap, problem = _pair_problem(ctx)
    if problem is not None:
        return problem
    net = str(ctx.params["network"])
    names = [str(ctx.params["service"]), str(ctx.params["client"])]
    tasks = [t for n in names for t in snap.tasks_of(n)]
    nodes = sorted({t.node for t in tasks})
    return ctx.ok(
        f"{net} is an overlay network; {' and '.join(names)} are on it with "
        f"{len(tasks)} Running tasks on {', '.join(nodes)}: one network across "
        f"{len(nodes)} node{'s' if len(nodes) != 1 else ''}.",
        tasks_per_node=per_node(tuple(tasks)),
        addresses={task_name(t): addresses_on(snap, t, net) for t in tasks})


# ----- discovery ---------------------------------------------------------------------------
_ADDR = re.compile(r"^Address(?:\s+\d+)?:\s*([0-9a-fA-F.:]+)\s*$")


def parse_nslookup(text: str) -> list[str]:
    """The addresses a busybox ``nslookup`` printed for the name (not the DNS server's)."""
    out, answer = [], False
    for line in text.splitlines():
        if line.startswith("Name:"):
            answer = True
        m = _ADDR.match(line.strip())
        if m and answer and m.group(1) not in out:
            out.append(m.group(1))
    return out


def client_task(snap: Snapshot, client: str) -> TaskInfo | None:
    return next(iter(snap.tasks_of(client)), None)


def lookup(ctx: CheckContext, task: TaskInfo, name: str) -> tuple[list[str], str]:
    """The addresses ``name`` resolves to inside ``task``, and the raw answer."""
    res = in_task(ctx, task, f"nslookup {name} 2>&1", timeout=20)
    return parse_nslookup(res.stdout), (res.stdout + res.stderr).strip()


def vip_on(snap: Snapshot, svc: ServiceInfo, network: str) -> str:
    """The service's virtual IP on ``network`` ("" when it has none there)."""
    net = snap.network(network)
    for raw in (snap.raw.get("services") or {}).get("body") or []:
        if raw.get("ID") != svc.id or net is None:
            continue
        for v in (raw.get("Endpoint") or {}).get("VirtualIPs") or ():
            if v.get("NetworkID") == net.id:
                return str(v.get("Addr", "")).split("/")[0]
    return ""


def _resolves(ctx: CheckContext, snap: Snapshot, client: TaskInfo, svc: ServiceInfo,
              net: str) -> tuple[dict[str, list[str]], str]:
    """What ``svc`` and ``tasks.<svc>`` resolve to from the client, and what is wrong
    with that for its endpoint mode ("" when it is right)."""
    want = sorted(a for t in snap.tasks_of(svc.name) for a in addresses_on(snap, t, net))
    by_name, raw_name = lookup(ctx, client, svc.name)
    by_tasks, raw_tasks = lookup(ctx, client, f"tasks.{svc.name}")
    seen = {svc.name: by_name, f"tasks.{svc.name}": by_tasks, f"{svc.name}'s tasks": want}
    name_want = want if svc.endpoint_mode == "dnsrr" else [vip_on(snap, svc, net)]
    if not by_name:
        return seen, f"the client cannot resolve {svc.name}: {_last(raw_name)}"
    if sorted(by_tasks) != want:
        return seen, (f"tasks.{svc.name} gives {', '.join(by_tasks) or 'nothing'}, but the "
                      f"Running tasks of {svc.name} have {', '.join(want)} on {net}")
    if sorted(by_name) != name_want:
        return seen, (f"{svc.name} ({svc.endpoint_mode}) gives {', '.join(by_name)}, not "
                      f"{', '.join(name_want)}")
    return seen, ""


@register("08.discovery", title="Find services by name: vip and dnsrr", lab="08",
          params={**_PAIR, "vip_service": "api", "vip_replicas": 2})
def discovery(ctx: CheckContext) -> CheckResult:
    snap, problem = _pair_problem(ctx)
    if problem is not None:
        return problem
    p = ctx.params
    web, api, net = str(p["service"]), str(p["vip_service"]), str(p["network"])
    create = (f"on manager1: `docker service create --name {api} --network {net} "
              f"--replicas {int(p['vip_replicas'])} swarmlab/web:v1`")
    snap = settle(ctx, [api], float(p["settle_s"]))
    svc_api = snap.service(api)
    if svc_api is None:
        return missing_service(ctx, snap, api, create)
    if net not in svc_api.networks:
        return ctx.fail(f"{api} is not on {net}, so the client cannot find it by name.",
                        f"`docker service update --network-add {net} {api}`")
    if svc_api.endpoint_mode != "vip":
        return ctx.fail(f"{api} uses endpoint mode {svc_api.endpoint_mode}; this exercise "
                        f"compares it in the default mode (vip) with {web} in dnsrr.",
                        f"`docker service rm {api}`, then {create}")
    svc_web = snap.service(web)
    assert svc_web is not None
    if svc_web.endpoint_mode != "dnsrr":
        return ctx.fail(f"{web} uses endpoint mode {svc_web.endpoint_mode}, not dnsrr.",
                        f"`docker service rm {web}`, then create it again with "
                        "`--endpoint-mode dnsrr` (exercise 08.overlay)")
    if not snap.tasks_of(api):
        return not_running(ctx, snap, svc_api, svc_api.replicas)
    client = client_task(snap, str(p["client"]))
    assert client is not None
    seen: dict[str, list[str]] = {}
    wrong = ""
    for attempt in range(3):  # DNS follows task changes within a second or two
        seen, wrong = {}, ""
        for svc in (svc_web, svc_api):
            got, why = _resolves(ctx, snap, client, svc, net)
            seen.update(got)
            wrong = wrong or why
        if not wrong:
            break
        if attempt < 2:
            time.sleep(1.5)
            snap = ctx.refresh()
            svc_web, svc_api = snap.service(web) or svc_web, snap.service(api) or svc_api
    if wrong:
        return ctx.fail(f"From the client, {wrong}.",
                        "tasks may still be starting or stopping: run the check again", **seen)
    vip = seen[api][0]
    return ctx.ok(
        f"From the client: {web} (dnsrr) resolves to its {len(seen[web])} task addresses; "
        f"{api} (vip) to one virtual IP, {vip}; tasks.{web} and tasks.{api} list the tasks.",
        **seen)


def _last(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no answer"


# ----- round-robin ---------------------------------------------------------------------------
def hostnames_answering(ctx: CheckContext, client: TaskInfo, url: str,
                        requests: int) -> tuple[Counter[str], str]:
    """How often each ``Hostname:`` answered ``requests`` requests from the client task,
    and the last error seen (a first request that fails stops the rest)."""
    fetch = f"timeout 3 wget -q -O - {url}"
    script = (f"a=$({fetch} 2>&1) || {{ m=$(echo \"$a\" | tail -n 1); "
              "echo \"ERR ${m:-no answer within 3 s}\"; exit 1; }; "
              "echo \"$a\" | sed -n 's/^Hostname: //p'; "
              f"i=1; while [ $i -lt {requests} ]; do "
              f"{fetch} 2>/dev/null | sed -n 's/^Hostname: //p'; i=$((i+1)); done")
    res = in_task(ctx, client, script, timeout=requests * 3 + 20)
    lines = [ln.strip() for ln in res.stdout.splitlines() if ln.strip()]
    errors = [ln[4:] for ln in lines if ln.startswith("ERR ")]
    error = errors[-1] if errors else res.stderr.strip()
    return Counter(ln for ln in lines if not ln.startswith("ERR ")), error


def by_hostname(tasks: tuple[TaskInfo, ...]) -> dict[str, TaskInfo]:
    """Running tasks by the hostname they answer with (their container id's first 12)."""
    return {t.container_id[:12]: t for t in tasks if t.container_id}


@register("08.round-robin", title="Requests reach every replica", lab="08",
          params={**_PAIR, "replicas": 4, "requests": 40})
def round_robin(ctx: CheckContext) -> CheckResult:
    snap, problem = _pair_problem(ctx)
    if problem is not None:
        return problem
    p = ctx.params
    web, want = str(p["service"]), int(p["replicas"])
    svc = snap.service(web)
    assert svc is not None
    if svc.replicas != want:
        return ctx.fail(f"{web} asks for {svc.replicas or 'one task per node (global)'} "
                        f"replicas, not {want}.", f"`docker service scale {web}={want}`")
    running = snap.tasks_of(web)
    if len(running) != want:
        return not_running(ctx, snap, svc, want)
    client = client_task(snap, str(p["client"]))
    assert client is not None
    counts, error = hostnames_answering(ctx, client, f"http://{web}/", int(p["requests"]))
    tasks = by_hostname(running)
    if not counts:
        return ctx.fail(f"No request from the client to http://{web}/ got an answer "
                        f"({error or 'no output'}).", _no_answer_hint(svc))
    answered = {tasks[h]: c for h, c in counts.items() if h in tasks}
    silent = [t for t in running if t not in answered]
    table = {f"{task_name(t)} on {t.node}": answered.get(t, 0) for t in running}
    if silent:
        return ctx.fail(
            f"{sum(counts.values())} requests reached only {len(answered)} of {want} replicas; "
            f"{', '.join(task_name(t) for t in silent)} never answered.",
            "run the check again (answers are spread at random); if a replica stays silent, "
            f"look at `docker service ps {web}`", answers=table)
    return ctx.ok(
        f"{sum(counts.values())} requests from the client were spread over all {want} "
        f"replicas: {', '.join(f'{k}: {v}' for k, v in table.items())}.", answers=table)


def _no_answer_hint(svc: ServiceInfo) -> str:
    if svc.endpoint_mode == "vip":
        return (f"{svc.name} uses a virtual IP, which needs the kernel's IPVS; without it "
                f"use DNS round robin: `docker service rm {svc.name}`, then create it again "
                "with `--endpoint-mode dnsrr` (exercise 08.overlay)")
    return f"look at `docker service logs {svc.name}` and `docker service ps {svc.name}`"


# ----- routing mesh ------------------------------------------------------------------------
_FETCH = ("if command -v curl >/dev/null 2>&1; then curl -s -m 3 {url}; "
          "else timeout 3 wget -q -O - {url}; fi")


@register("08.mesh", title="Any node's published port reaches the service", lab="08",
          params={"service": "mesh", "port": 8080, "settle_s": 20})
def mesh(ctx: CheckContext) -> CheckResult:
    name, port = str(ctx.params["service"]), int(ctx.params["port"])
    create = f"on manager1: `docker service create --name {name} --replicas 1 -p {port}:80 " \
             "swarmlab/web:v1`"
    problem = swarm_problem(ctx, _NO_SWARM)
    if problem is not None:
        return problem
    snap = ctx.snapshot
    svc = snap.service(name)
    if svc is None:
        return missing_service(ctx, snap, name, create)
    ports = [pt for pt in svc.ports if pt.published == port]
    if not ports:
        shown = ", ".join(f"{pt.published}->{pt.target}" for pt in svc.ports) or "no port"
        return ctx.fail(f"{name} publishes {shown}, not {port}.",
                        f"`docker service update --publish-add {port}:80 {name}`")
    if ports[0].mode != "ingress":
        return ctx.fail(
            f"{name} publishes {port} in {ports[0].mode} mode: only nodes that run one of its "
            "tasks answer on it, so this shows no routing mesh.",
            f"`docker service update --publish-rm {port} --publish-add {port}:80 {name}`")
    skip = needs_ipvs(ctx, snap.source.node)
    if skip is not None:
        return skip
    snap = settle(ctx, [name], float(ctx.params["settle_s"]))
    svc = snap.service(name) or svc
    running = snap.tasks_of(name)
    if not running:
        return not_running(ctx, snap, svc, svc.replicas)
    busy = {t.node for t in running}
    idle = [n for n in snap.nodes if n.ready and n.hostname not in busy
            and lab_node(ctx, n.hostname) is not None]
    if not idle:
        return ctx.fail(f"Every node runs a task of {name}, so no node can show the mesh "
                        "forwarding a request elsewhere.", f"`docker service scale {name}=1`")
    tasks = by_hostname(running)
    for node in idle:
        url = f"http://{node.address}:{port}/"
        res = ctx.probe(str(lab_node(ctx, node.hostname)), _FETCH.format(url=url), timeout=20)
        host = next((ln.split(":", 1)[1].strip() for ln in res.stdout.splitlines()
                     if ln.startswith("Hostname:")), "")
        if host in tasks:
            t = tasks[host]
            return ctx.ok(f"{node.hostname} runs no task of {name}, yet {url} answered from "
                          f"{task_name(t)} on {t.node}: the routing mesh forwarded it.",
                          tasks_per_node=per_node(running))
    return ctx.fail(
        f"Port {port} on nodes without a task ({', '.join(n.hostname for n in idle)}) did "
        "not answer with one of its tasks.",
        "run the check again in a few seconds; then compare with "
        f"`curl -s http://<node address>:{port}/` on the node ({spread(per_node(running))})")
