"""Lab 08, networks: an overlay network shared by two services, discovery by DNS,
round-robin answers from every replica, and the ingress routing mesh (needs IPVS).

Every request goes from inside the lab: a client task on the overlay network, or a node
asking its own published port.
"""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import needs_ipvs
from swarmlab.checks.lab08_answers import (
    by_hostname,
    expected_lookups,
    read_addresses,
    read_counts,
    wrong_lookup,
)
from swarmlab.checks.requires import found_service, service, swarm
from swarmlab.checks.services import (
    addresses_on,
    lab_node,
    missing_service,
    network_seen,
    not_running,
    per_node,
    settle,
    spread,
    task_name,
)
from swarmlab.i18n import N_, _, ngettext

_YOUR_ANSWER = N_("Your answer: {wrong}.")
_DNSRR_AGAIN = N_("`docker service rm {web}`, then create it again with `--endpoint-mode dnsrr` "
                  "(exercise 08.overlay)")
_PAIR = {"network": "appnet", "service": "web", "client": "client", "settle_s": 20}


def _create_hint(p: dict[str, object]) -> str:
    return _("on manager1: `docker network create --driver overlay --attachable {network}`, "
             "`docker service create --name {web} --network {network} --replicas 3 "
             "--endpoint-mode dnsrr swarmlab/web:v1` and `docker service create --name "
             "{client} --network {network} swarmlab/tools`").format(
        network=p["network"], web=p["service"], client=p["client"])


def _pair(ctx: CheckContext) -> CheckResult | None:
    """The overlay network and both services on it with Running tasks, or a FAIL."""
    p = ctx.params
    net, names = str(p["network"]), [str(p["service"]), str(p["client"])]
    snap, info = network_seen(ctx, settle(ctx, names, float(p["settle_s"])), net)
    if info is None:
        return ctx.fail(_("There is no network named {network}.").format(network=net),
                        _create_hint(p),
                              networks=[n.name for n in snap.networks])
    if info.driver != "overlay":
        return ctx.fail(
            _("{network} is a {driver} network ({scope} scope): it lives on one engine only, "
              "so swarm services cannot use it.").format(network=net, driver=info.driver,
                                                         scope=info.scope),
            _("remove it (`docker network rm {network}`) and create it with `--driver "
              "overlay`").format(network=net))
    if not info.attachable:
        users = [x.name for x in snap.services if net in x.networks]
        return ctx.fail(
            _("{network} is an overlay network, but not attachable: plain containers (`docker "
              "run --network {network}`) cannot join it, and the next exercises look around "
              "from one.").format(network=net),
            (_("`docker service rm {services}`, `docker network rm {network}`, then create it "
               "again with `--attachable` and create the services on it again") if users else
             _("`docker network rm {network}`, then create it again with `--attachable` and "
               "create the services on it again")).format(services=" ".join(users),
                                                          network=net), attachable=False)
    for name in names:
        svc = snap.service(name)
        if svc is None:
            return missing_service(ctx, snap, name, _create_hint(p))
        if net not in svc.networks:
            on = ", ".join(svc.networks) or _("no network of its own (only ingress)")
            return ctx.fail(
                _("{service} is not on {network}; it is on {on}. Services talk by name only "
                  "when they share a network.").format(service=name, network=net, on=on),
                f"`docker service update --network-add {net} {name}`", networks=list(svc.networks))
        if not snap.tasks_of(name):
            return not_running(ctx, snap, svc, svc.replicas)
    return None


_PAIR_NEEDS = (swarm(), _pair)


@register("08.overlay", title=N_("Two services on one overlay network"), lab="08", params=_PAIR,
          needs=_PAIR_NEEDS)
def overlay(ctx: CheckContext) -> CheckResult:
    snap = ctx.snapshot
    net = str(ctx.params["network"])
    names = [str(ctx.params["service"]), str(ctx.params["client"])]
    tasks = [t for n in names for t in snap.tasks_of(n)]
    nodes = sorted({t.node for t in tasks})
    return ctx.ok(
        ngettext("{network} is an overlay network; {first} and {second} are on it with {tasks} "
                 "Running tasks on {nodes}: one network across {n} node.",
                 "{network} is an overlay network; {first} and {second} are on it with {tasks} "
                 "Running tasks on {nodes}: one network across {n} nodes.", len(nodes)).format(
            network=net, first=names[0], second=names[1], tasks=len(tasks),
            nodes=", ".join(nodes), n=len(nodes)),
        tasks_per_node=per_node(tuple(tasks)),
        addresses={task_name(t): addresses_on(snap, t, net) for t in tasks})


# ----- discovery ---------------------------------------------------------------------------
@register("08.discovery", title=N_("Find services by name: vip and dnsrr"), lab="08",
          params={**_PAIR, "vip_service": "api", "vip_replicas": 2, "answer": None},
          needs=_PAIR_NEEDS)
def discovery(ctx: CheckContext) -> CheckResult:
    snap = ctx.snapshot
    p = ctx.params
    web, api, net = str(p["service"]), str(p["vip_service"]), str(p["network"])
    create = _("create the service {api} on {network} with {n} replicas of swarmlab/web:v1, "
               "in the default endpoint mode").format(api=api, network=net,
                                                      n=int(p["vip_replicas"]))
    snap = settle(ctx, [api], float(p["settle_s"]))
    svc_api = snap.service(api)
    if svc_api is None:
        return missing_service(ctx, snap, api, create)
    if net not in svc_api.networks:
        return ctx.fail(_("{api} is not on {network}, so the client cannot find it by "
                          "name.").format(api=api, network=net),
                        f"`docker service update --network-add {net} {api}`")
    if svc_api.endpoint_mode != "vip":
        return ctx.fail(_("{api} uses endpoint mode {mode}; this exercise compares it in the "
                          "default mode (vip) with {web} in dnsrr.").format(
                            api=api, mode=svc_api.endpoint_mode, web=web),
                        _("`docker service rm {service}`, then {how}").format(service=api,
                                                                             how=create))
    svc_web = snap.service(web)
    assert svc_web is not None
    if svc_web.endpoint_mode != "dnsrr":
        return ctx.fail(_("{web} uses endpoint mode {mode}, not dnsrr.").format(
                            web=web, mode=svc_web.endpoint_mode), _(_DNSRR_AGAIN).format(web=web))
    if not snap.tasks_of(api):
        return not_running(ctx, snap, svc_api, svc_api.replicas)
    want = expected_lookups(snap, svc_web, svc_api, net)
    look = _("from a container on {network}: `nslookup {web}`, `nslookup {api}` and "
             "`nslookup tasks.{api}`; put the addresses each printed (under Name:) in answer = "
             "{example}").format(network=net, web=web, api=api, example=f"{{'{web}': [...], "
                                 f"'{api}': [...], 'tasks.{api}': [...]}}")
    said, wrong = read_addresses(p["answer"])
    if said is None:
        return ctx.fail(_(_YOUR_ANSWER).format(wrong=wrong), look, want=list(want))
    missing = [n for n in want if n not in said]
    if missing:
        return ctx.fail(_("Your answer has no addresses for {names}.").format(
                            names=", ".join(missing)), look, answer=said)
    for name, addrs in want.items():
        if said[name] != addrs:
            return ctx.fail(wrong_lookup(name, said[name], addrs, web, api, want), look,
                            answer=said, **want)
    return ctx.ok(
        _("Right: {web} (dnsrr) resolves to its {n} task addresses; {api} (vip) to one virtual "
          "IP, {vip}; tasks.{api} to its {m} task addresses.").format(
            web=web, n=len(want[web]), api=api, vip=want[api][0],
            m=len(want[f"tasks.{api}"])), **want)


# ----- round-robin ---------------------------------------------------------------------------
@register("08.round-robin", title=N_("Requests reach every replica"), lab="08",
          params={**_PAIR, "replicas": 4, "answer": None}, needs=_PAIR_NEEDS)
def round_robin(ctx: CheckContext) -> CheckResult:
    snap = ctx.snapshot
    p = ctx.params
    web, want = str(p["service"]), int(p["replicas"])
    svc = snap.service(web)
    assert svc is not None
    if svc.replicas != want:
        return ctx.fail(_("{service} asks for {replicas} replicas, not {want}.").format(
                            service=web, replicas=svc.replicas or _("one task per node (global)"),
                            want=want), f"`docker service scale {web}={want}`")
    running = snap.tasks_of(web)
    if len(running) != want:
        return not_running(ctx, snap, svc, want)
    tasks = by_hostname(running)
    look = _("send requests to http://{web}/ from a container on {network}, count the answers "
             "per `Hostname:` line, and put them in answer = {{'<hostname>': <count>, "
             "...}}").format(web=web, network=p["network"])
    said, wrong = read_counts(p["answer"])
    if said is None:
        return ctx.fail(_(_YOUR_ANSWER).format(wrong=wrong), _(
            "{look}; if your requests got no answer: {web} uses a virtual IP, which needs the "
            "kernel's IPVS; without it use DNS round robin (`docker service rm {web}`, then "
            "create it again with `--endpoint-mode dnsrr`, exercise 08.overlay)").format(
                look=look, web=web) if svc.endpoint_mode == "vip" else look)
    table = {_("{task} on {node}").format(task=task_name(t), node=t.node): said.get(h, 0)
             for h, t in tasks.items()}
    strangers = [h for h in said if h not in tasks]
    if strangers:
        return ctx.fail(
            _("{host} is not the hostname of a Running replica of {web} (its replicas answer "
              "as {hosts}).").format(host=strangers[0], web=web, hosts=", ".join(sorted(tasks))),
            _("a replica's hostname is its container id's first 12 characters, as the "
              "`Hostname:` line shows; a task that was replaced since has another one: "
              "{look}").format(look=look), answer=said)
    silent = [h for h in tasks if not said.get(h)]
    if silent:
        return ctx.fail(
            _("Your counts show {n} of {want} replicas answering; {silent} never did.").format(
                n=want - len(silent), want=want,
                silent=", ".join(task_name(tasks[h]) for h in silent)),
            _("send more requests (with 4 replicas, 12 can miss one by chance; 40 rarely do) "
              "and count again"), answers=table)
    return ctx.ok(
        _("{n} requests you sent were spread over all {want} replicas: {table}.").format(
            n=sum(said.values()), want=want,
            table=", ".join(f"{k}: {v}" for k, v in table.items())), answers=table)


# ----- routing mesh ------------------------------------------------------------------------
_FETCH = ("if command -v curl >/dev/null 2>&1; then curl -s -m 3 {url}; "
          "else timeout 3 wget -q -O - {url}; fi")


@register("08.mesh", title=N_("Any node's published port reaches the service"), lab="08",
          params={"service": "mesh", "port": 8080, "settle_s": 20},
          needs=(swarm(), service(how=N_("on manager1: `docker service create --name "
                                         "{service} --replicas 1 -p {port}:80 "
                                         "swarmlab/web:v1`"))))
def mesh(ctx: CheckContext) -> CheckResult:
    name, port = str(ctx.params["service"]), int(ctx.params["port"])
    snap, svc = ctx.snapshot, found_service(ctx)
    ports = [pt for pt in svc.ports if pt.published == port]
    if not ports:
        shown = ", ".join(f"{pt.published}->{pt.target}" for pt in svc.ports) or _("no port")
        return ctx.fail(_("{service} publishes {shown}, not {port}.").format(
                            service=name, shown=shown, port=port),
                        f"`docker service update --publish-add {port}:80 {name}`")
    if ports[0].mode != "ingress":
        return ctx.fail(
            _("{service} publishes {port} in {mode} mode: only nodes that run one of its tasks "
              "answer on it, so this shows no routing mesh.").format(service=name, port=port,
                                                                     mode=ports[0].mode),
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
        return ctx.fail(_("Every node runs a task of {service}, so no node can show the mesh "
                          "forwarding a request elsewhere.").format(service=name),
                        f"`docker service scale {name}=1`")
    tasks = by_hostname(running)
    for node in idle:
        url = f"http://{node.address}:{port}/"
        res = ctx.probe(str(lab_node(ctx, node.hostname)), _FETCH.format(url=url), timeout=20)
        host = next((ln.split(":", 1)[1].strip() for ln in res.stdout.splitlines()
                     if ln.startswith("Hostname:")), "")
        if host in tasks:
            t = tasks[host]
            return ctx.ok(_("{node} runs no task of {service}, yet {url} answered from {task} "
                            "on {where}: the routing mesh forwarded it.").format(
                              node=node.hostname, service=name, url=url, task=task_name(t),
                              where=t.node),
                          tasks_per_node=per_node(running))
    return ctx.fail(
        _("Port {port} on nodes without a task ({nodes}) did not answer with one of its "
          "tasks.").format(port=port, nodes=", ".join(n.hostname for n in idle)),
        _("run the check again in a few seconds; then compare with `curl -s http://<node "
          "address>:{port}/` on the node ({spread})").format(port=port,
                                                             spread=spread(per_node(running))))
