"""Pictures of Swarm's ideas, drawn by the kit rather than read from a live cluster.

``idea("quorum", managers=5, down=3)`` returns a ``graphviz.Digraph`` (SVG in Jupyter).
Known ideas: quorum, overlay, endpoints, mesh, rolling; each draw function's docstring
lists its parameters. An unknown idea or a bad parameter raises ``SpecError``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from html import escape

import graphviz

from swarmlab.errors import SpecError
from swarmlab.viz.palette import DOWN, PALETTE
from swarmlab.viz.topology import LEADER, MANAGER_PEN, WORKER_PEN

GOOD, BAD, NOTE = "#1a7f37", "#cf222e", "#555555"
FAILED = "#f6b8b8"  # a light red: the palette keeps red for failures
NET, TUNNEL = PALETTE[4], "#bc4c00"
VERSION_FILL = {"v1": PALETTE[8], "v2": PALETTE[6], "broken": FAILED}


def _graph(name: str, title: str, rankdir: str = "TB") -> graphviz.Digraph:
    return graphviz.Digraph(
        name,
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "13",
                    "label": f"<<b>{title}</b>>", "labelloc": "t", "labeljust": "l",
                    "nodesep": "0.3", "ranksep": "0.45", "bgcolor": "white",
                    "newrank": "true"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "box",
                   "style": "rounded,filled", "fillcolor": "white"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": NOTE},
    )


def _count(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return value


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SpecError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _lines(rows: list[str], colour: str = "#000000", size: int = 10) -> str:
    """A plain-text HTML label: one left-aligned row per item."""
    cells = "".join(f'<tr><td align="left"><font color="{colour}" point-size="{size}">{r or " "}'
                    "</font></td></tr>" for r in rows)
    return f'<<table border="0" cellborder="0" cellspacing="1">{cells}</table>>'


def quorum(managers: int = 3, down: int = 0) -> graphviz.Digraph:
    """Raft among ``managers`` (1-7), ``down`` of them powered off: does a majority
    remain, what stops without one, what keeps running, and how to recover."""
    n, off = _count("managers", managers, 1, 7), _count("down", down, 0, managers)
    majority, up = n // 2 + 1, n - off
    holds = up >= majority
    verdict = "quorum holds" if holds else "quorum lost"
    g = _graph("quorum", f"Raft quorum: {n} manager{'s' * (n > 1)}, majority {majority}: "
               f"{up} up, {off} down, {verdict}")
    names = [f"manager{i}" for i in range(1, n + 1)]
    leader = names[0] if holds else None
    with g.subgraph() as row:
        row.attr(rank="same")
        for i, name in enumerate(names):
            if i >= up:
                row.node(name, f"{name}\ndown", fillcolor=DOWN, style="rounded,filled,dashed",
                         color=NOTE)
            elif name == leader:
                row.node(name, f"{LEADER} {name}\nleader", color=MANAGER_PEN, penwidth="2.5")
            else:
                row.node(name, f"{name}\n{'follower' if holds else 'up, no leader'}",
                         color=MANAGER_PEN, penwidth="1.5")
        row.node("workers", "workers\n(no vote)", color=WORKER_PEN, style="rounded,dashed")
    for a, b in zip([*names, "workers"], [*names[1:], "workers"], strict=False):
        g.edge(a, b, style="invis")  # keeps the row in order
    for i, name in enumerate(names[1:], 1):
        alive = i < up
        first = i in (1, up)  # one label per kind of edge: the others would overlap
        if holds:
            g.edge(names[0], name, ("log" if alive else "unreachable") * first,
                   constraint="false", style="solid" if alive else "dashed",
                   color=MANAGER_PEN if alive else NOTE)
        elif alive:
            g.edge(names[0], name, "votes" * first, dir="both", style="dashed", color=BAD,
                   constraint="false")
    g.node("status", _quorum_status(n, up, majority), shape="plaintext", style="")
    g.edge(names[0], "status", style="invis")
    return g


def _quorum_status(n: int, up: int, majority: int) -> str:
    if up >= majority:
        spare = up - majority
        return _lines([f"<b>{up} of {n} up, at least {majority} needed: the managers "
                       "elect a leader and every change is stored by a majority.</b>",
                       "Management works: docker node / service / secret commands,",
                       "scheduling, rescheduling the tasks of a failed node.",
                       f"It survives {spare} more manager{'s' * (spare != 1)} down."], GOOD)
    stops = ["<b>Stops (no leader):</b> every management command fails, first",
             "'context deadline exceeded', then 'The swarm does not have a leader';",
             "no scaling, no updates, no joins, no rescheduling of failed tasks."]
    keeps = [f'<font color="{GOOD}">{r}</font>' for r in (
             "<b>Keeps running:</b> the tasks already running on the nodes that are up",
             "go on serving, and so do their overlay networks.")]
    fix = ["<b>Recover:</b> power the lost managers on again; if they are gone for good,",
           "run docker swarm init --force-new-cluster on a surviving manager",
           "(a one-manager swarm that keeps services and nodes), then promote workers",
           f"(or join new managers) until there are {n} again."]
    return _lines([*stops, "", *keeps, "", *fix], BAD)


def overlay(nodes: int = 2) -> graphviz.Digraph:
    """One overlay network over ``nodes`` (2-4) machines: its containers share one
    subnet, and each packet between machines travels wrapped in VXLAN (UDP 4789)."""
    n = _count("nodes", nodes, 2, 4)
    g = _graph("overlay", "An overlay network: one subnet over several machines")
    g.node("overlay", "overlay network appnet  10.0.1.0/24\n(one virtual switch for all "
           "its containers, whatever machine they run on)", shape="box", fillcolor=NET,
           width="6")
    g.node("lan", "the machines' own network  192.168.1.0/24\n(ports between nodes: 2377/tcp "
           "management, 7946/tcp+udp gossip, 4789/udp VXLAN)", fillcolor=DOWN, width="6")
    for i in range(1, n + 1):
        host = f"node{i}"
        with g.subgraph(name=f"cluster_{host}") as box:
            box.attr(label=f"{host}  192.168.1.{10 + i}", color=WORKER_PEN, style="rounded",
                     labeljust="l")
            box.node(f"c{i}", f"task web.{i}\n10.0.1.{2 + i}", fillcolor=PALETTE[0])
            box.node(f"vtep{i}", "VXLAN endpoint\n(in the node's kernel)", fillcolor="white")
        g.edge("overlay", f"c{i}", arrowhead="none", color=NET, penwidth="2")
        g.edge(f"c{i}", f"vtep{i}", arrowhead="none")
        g.edge(f"vtep{i}", "lan", arrowhead="none", color=NOTE, penwidth="2")
    for i in range(1, n):
        g.edge(f"vtep{i}", f"vtep{i + 1}", "VXLAN tunnel\nUDP 4789", dir="both",
               color=TUNNEL, fontcolor=TUNNEL, penwidth="2", constraint="false")
    g.node("how", _lines([
        "web.1 sends to 10.0.1.4: its node wraps the whole packet in a UDP packet",
        "to 192.168.1.12 port 4789; node2 unwraps it and hands it to web.2.",
        "The nodes learn where each container lives by gossip (port 7946)."], NOTE, 9),
        shape="plaintext", style="")
    g.edge("lan", "how", style="invis")
    return g


def endpoints(replicas: int = 3, mode: str = "both") -> graphviz.Digraph:
    """What a service's name resolves to, and who picks the task: ``mode`` vip (one
    virtual IP, IPVS picks), dnsrr (every task address, the client picks) or both."""
    r = _count("replicas", replicas, 1, 6)
    which = _choice("mode", mode, ("both", "vip", "dnsrr"))
    g = _graph("endpoints", "Endpoint modes: how a client reaches one of a service's tasks", "LR")
    for m in ("dnsrr", "vip"):  # graphviz stacks the last cluster on top
        if which in (m, "both"):
            _endpoint_panel(g, m, r)
    return g


def _endpoint_panel(g: graphviz.Digraph, mode: str, r: int) -> None:
    tasks = [f"10.0.1.{5 + i}" for i in range(r)]
    vip = mode == "vip"
    title = ("vip (the default): the name is one virtual IP" if vip
             else "dnsrr: the name is the list of task addresses")
    with g.subgraph(name=f"cluster_{mode}") as box:
        box.attr(label=title, labeljust="l", style="rounded", color=MANAGER_PEN)
        box.node(f"{mode}_client", "client task\nconnects to http://web/")
        answer = ("web -> 10.0.1.2 (virtual IP,\nsame answer every time)" if vip else
                  "web -> " + ", ".join(tasks) + "\n(all of them, in a shuffled order:\n"
                  "the same task can come first twice)")
        box.node(f"{mode}_dns", f"Docker's DNS 127.0.0.11\n{answer}", fillcolor=PALETTE[1])
        box.edge(f"{mode}_client", f"{mode}_dns", "1. look up web")
        if vip:
            box.node("vip_ipvs", "IPVS in the kernel\nof the client's node\nspreads connections",
                     fillcolor=PALETTE[2])
            box.edge("vip_client", "vip_ipvs", "2. connect to 10.0.1.2")
        for i, addr in enumerate(tasks):
            box.node(f"{mode}_t{i}", f"web.{i + 1}\n{addr}", fillcolor=PALETTE[0])
            src, note = ("vip_ipvs", "") if vip else (f"{mode}_client",
                                                     "2. connect to an address" * (i == 0))
            box.edge(src, f"{mode}_t{i}", note, style="solid" if i == 0 else "dashed")


def mesh(nodes: int = 3, replicas: int = 1, port: int = 8080) -> graphviz.Digraph:
    """The ingress routing mesh: ``-p PORT:80`` opens ``port`` on all ``nodes`` (2-5),
    and IPVS forwards a request over the ingress network to one of ``replicas`` tasks."""
    n = _count("nodes", nodes, 2, 5)
    r, p = _count("replicas", replicas, 1, n), _count("port", port, 1, 65535)
    g = _graph("mesh", f"The ingress routing mesh: -p {p}:80, {r} task{'s' * (r > 1)} "
               f"on {n} nodes")
    entry = n  # the client asks the last node; IPVS may pick any task, here web.1
    g.node("client", f"a browser or load balancer\nhttp://node{entry}:{p}/", shape="ellipse")
    for i in range(1, n + 1):
        with g.subgraph(name=f"cluster_node{i}") as box:
            box.attr(label=f"node{i}", labeljust="l", style="rounded", color=WORKER_PEN)
            box.node(f"port{i}", f":{p} published\nIPVS", fillcolor=PALETTE[2])
            if i <= r:
                box.node(f"task{i}", f"web.{i}\n:80", fillcolor=PALETTE[0])
            else:
                box.node(f"task{i}", "no task here", fontcolor=NOTE, style="rounded,dashed")
            box.edge(f"port{i}", f"task{i}", style="invis")
        g.edge("client", f"port{i}", style="invis")
    g.edge("client", f"port{entry}", "1. request", color=TUNNEL, fontcolor=TUNNEL,
           penwidth="2")
    g.edge(f"port{entry}", "task1", "2. IPVS picks a task, over the\ningress overlay "
           "(VXLAN, UDP 4789)", color=TUNNEL, fontcolor=TUNNEL, penwidth="2",
           constraint="false", tailport="s", headport="n")
    g.node("note", _lines([
        f"Every node listens on {p}, with or without a task: any node's address works.",
        "IPVS may pick a task on any node, this one included. The mesh needs IPVS",
        "in the nodes' kernels and the vip endpoint mode.",
        f"--publish mode=host,published={p},target=80 skips it: only nodes with a task",
        f"answer on {p}, each with its own task."], NOTE, 9), shape="plaintext", style="")
    g.edge("task1", "note", style="invis")
    return g


def rolling(replicas: int = 6, parallelism: int = 2, delay: str = "10s",
            failure_action: str = "pause", broken: bool = False) -> graphviz.Digraph:
    """A rolling update of ``replicas`` (1-12) tasks from v1 to v2 in batches of
    ``parallelism`` (0: all at once) with ``delay`` between; with ``broken`` the new
    image fails and ``failure_action`` (pause, continue, rollback) decides what follows."""
    n = _count("replicas", replicas, 1, 12)
    size = _count("parallelism", parallelism, 0, 12) or n
    action = _choice("failure_action", failure_action, ("pause", "continue", "rollback"))
    if not isinstance(delay, str) or not delay.strip():
        raise SpecError(f"delay must be a duration such as '10s', not {delay!r}")
    if not isinstance(broken, bool):
        raise SpecError(f"broken must be True or False, not {broken!r}")
    new = "broken" if broken else "v2"
    g = _graph("rolling", f"docker service update --image web:{new} --update-parallelism "
               f"{parallelism} --update-delay {delay} --update-failure-action {action}", "LR")
    versions = ["v1"] * n
    steps = [("before the update", list(versions))]
    for start in range(0, n, size):
        versions[start:start + size] = [new] * len(versions[start:start + size])
        steps.append((f"batch {len(steps)}", list(versions)))
        if broken and action != "continue":
            break
    if broken and action == "pause":
        steps.append(("update paused", list(versions)))
    elif broken and action == "rollback":
        steps.append(("rolled back", ["v1"] * n))
    for i, (head, state) in enumerate(steps):
        g.node(f"s{i}", _step_table(head, state), shape="plaintext", style="")
        if i:
            g.edge(f"s{i - 1}", f"s{i}", _step_note(steps, i, size, delay, new, action))
    return g


def _step_table(head: str, state: list[str]) -> str:
    rows = "".join(f'<tr><td bgcolor="{VERSION_FILL[v]}" style="rounded">web.{slot} '
                   f"<b>{v}</b></td></tr>" for slot, v in enumerate(state, 1))
    return (f'<<table border="0" cellborder="1" cellspacing="3" cellpadding="3">'
            f"<tr><td border=\"0\"><b>{escape(head)}</b></td></tr>{rows}</table>>")


def _step_note(steps: list[tuple[str, list[str]]], i: int, size: int, delay: str,
               new: str, action: str) -> str:
    head = steps[i][0]
    if head == "update paused":
        return "first batch failed:\npause, the rest stay v1;\nyou update again or roll back"
    if head == "rolled back":
        return "first batch failed:\nrollback to v1\n(by the rollback policy)"
    swapped = sum(a != b for a, b in zip(steps[i - 1][1], steps[i][1], strict=True))
    wait = f"wait {delay} (delay),\nthen " if i > 1 else ""
    fail = "\n(they fail; continue goes on)" if new == "broken" and action == "continue" else ""
    return f"{wait}stop {swapped}, start {swapped}\nfrom {new} (batches of {size}){fail}"


IDEAS: dict[str, Callable[..., graphviz.Digraph]] = {
    "quorum": quorum, "overlay": overlay, "endpoints": endpoints, "mesh": mesh,
    "rolling": rolling,
}


def idea(name: str, **params: object) -> graphviz.Digraph:
    """A picture of one of Swarm's ideas (see ``IDEAS``), for example
    ``idea("quorum", managers=5, down=3)`` or ``idea("rolling", parallelism=2)``."""
    draw = IDEAS.get(name)
    if draw is None:
        raise SpecError(f"unknown idea {name!r}; known ideas: {', '.join(IDEAS)}")
    accepted = list(inspect.signature(draw).parameters)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise SpecError(f"idea {name!r} takes no {', '.join(unknown)}; its parameters: "
                        f"{', '.join(accepted)}")
    return draw(**params)
