"""The cluster as a picture: one box per node with its tasks, coloured by service.

``topology(snapshot)`` returns a ``graphviz.Digraph``; Jupyter shows it as SVG, and
``.pipe(format="png")`` / ``.render(...)`` write files.
"""

from __future__ import annotations

import math
import re
import textwrap
import time
from collections.abc import Sequence
from html import escape

import graphviz

from swarmlab.state import NodeInfo, ServiceInfo, Snapshot, TaskInfo
from swarmlab.viz.palette import DOWN, colours, tag

MANAGER_PEN, WORKER_PEN = "#1f4e99", "#555555"
AVAILABILITY_FILL = {"active": "#ffffff", "pause": "#fff6d5", "drain": "#fde4cf"}
STATE_FONT = {"ready": "#1a7f37", "down": "#cf222e"}
LEADER = "\u2605"  # ★
_STARTING = ("new", "pending", "assigned", "accepted", "preparing", "ready", "starting")


def service_colours(snapshot: Snapshot) -> dict[str, str]:
    """One fill per service, oldest services first so they keep their colour."""
    ordered = sorted(snapshot.services, key=lambda s: (s.created_at, s.name))
    return colours([s.name for s in ordered] + sorted({t.service for t in snapshot.tasks}))


def topology(
    snapshot: Snapshot,
    *,
    columns: int | None = None,
    per_column: int = 8,
    title: str | None = None,
    show_starting: bool = True,
) -> graphviz.Digraph:
    """The cluster as a picture: nodes (role, leader, reachability, availability, state,
    labels) with their running tasks (service.slot, image tag, host ports), and a legend
    of services (mode, replicas, image, published ports, networks) and overlay networks.

    ``columns``: node boxes per row (default: about a square); ``per_column``: tasks
    stacked in a node before a new column starts; ``show_starting``: also draw tasks that
    are on their way (pending, preparing, starting: dashed)."""
    g = graphviz.Digraph(
        "swarm",
        graph_attr={"rankdir": "TB", "fontname": "Helvetica", "fontsize": "11", "nodesep": "0.25",
                    "ranksep": "0.3", "newrank": "true", "bgcolor": "white"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "plaintext"},
        edge_attr={"style": "invis"},
    )
    fills = service_colours(snapshot)
    host_ports = {s.id: [p.published for p in s.ports if p.mode == "host" and p.published]
                  for s in snapshot.services}
    g.node("legend", label=_legend(snapshot, fills, title))
    nodes = sorted(snapshot.nodes, key=_node_order)
    square = len(nodes) if len(nodes) <= 4 else math.ceil(math.sqrt(len(nodes)))
    cols = max(1, columns or square)
    boxes = []
    for node in nodes:
        tasks = _tasks_on(snapshot, node, show_starting)
        cells = [_task_cell(t, host_ports.get(t.service_id, []), fills, node.ready)
                 for t in tasks]
        tip = "\n".join(_task_tooltip(t) for t in tasks)
        boxes.append(_node_box(g, node, cells, per_column, tip))
    _grid(g, boxes, cols)
    unplaced = [t for t in snapshot.tasks if t.desired_state == "running" and not t.node_id]
    if unplaced and show_starting:
        _unplaced_box(g, unplaced, fills, boxes[-cols:] or ["legend"])
    return g


def _grid(g: graphviz.Digraph, boxes: list[str], cols: int) -> None:
    """Rows of ``cols`` boxes: same rank within a row, invisible edges down the columns."""
    for start in range(0, len(boxes), cols):
        row = boxes[start:start + cols]
        with g.subgraph() as same:
            same.attr(rank="same")
            for box in row:
                same.node(box)
        for a, b in zip(row, row[1:], strict=False):
            g.edge(a, b)  # keeps the row in order
        for i, box in enumerate(row):
            g.edge(boxes[start + i - cols] if start else "legend", box)


def _node_order(node: NodeInfo) -> tuple[int, str, int, str]:
    m = re.match(r"^(.*?)(\d+)$", node.hostname)
    stem, number = (m.group(1), int(m.group(2))) if m else (node.hostname, 0)
    return (0 if node.role == "manager" else 1, stem, number, node.id)


def _tasks_on(snapshot: Snapshot, node: NodeInfo, show_starting: bool) -> list[TaskInfo]:
    wanted = [t for t in snapshot.tasks if t.node_id == node.id and (
        t.running or (show_starting and t.desired_state == "running" and t.state in _STARTING))]
    if not show_starting:
        wanted = [t for t in wanted if t.desired_state == "running"]
    return sorted(wanted, key=lambda t: (t.service, t.slot or 0, t.id))


def _node_box(
    g: graphviz.Digraph, node: NodeInfo, cells: list[str], per_column: int, tooltip: str
) -> str:
    """A cluster for the node holding one table of its tasks; returns the table's id."""
    down = not node.ready
    table = f"tasks-{node.id}"
    with g.subgraph(name=f"cluster_{node.id}") as box:
        box.attr(
            label=_node_label(node), labeljust="l", style="rounded,filled" + (",dashed" * down),
            fillcolor=DOWN if down else AVAILABILITY_FILL.get(node.availability, "#ffffff"),
            color=MANAGER_PEN if node.role == "manager" else WORKER_PEN,
            penwidth="2.5" if node.leader else "1.5", tooltip=_node_tooltip(node),
        )
        if not cells:
            box.node(table, "no tasks", fontcolor="#777777")
            return table
        width = math.ceil(len(cells) / per_column)
        rows = ["<tr>" + "".join(cells[i:i + width]) + "</tr>"
                for i in range(0, len(cells), width)]
        box.node(table, '<<table border="0" cellborder="1" cellspacing="5" cellpadding="3">'
                 + "".join(rows) + "</table>>", tooltip=tooltip)
    return table


def _node_label(node: NodeInfo) -> str:
    star = f'<font color="#b8860b">{LEADER}</font> ' if node.leader else ""
    role = node.role
    if node.role == "manager":
        role += " \u00b7 leader" if node.leader else f" \u00b7 {node.reachability or 'unknown'}"
    state_colour = STATE_FONT.get(node.state, "#9a6700")
    avail_colour = "#000000" if node.availability == "active" else "#bc4c00"
    rows = [
        f"<b>{star}{escape(node.hostname)}</b>",
        escape(role),
        f'<font color="{state_colour}">{escape(node.state)}</font> \u00b7 '
        f'<font color="{avail_colour}">{escape(node.availability)}</font>',
    ]
    rows += [f'<font point-size="9">{escape(k)}={escape(v)}</font>'
             for k, v in sorted(node.labels.items())]
    cells = "".join(f'<tr><td align="left">{r}</td></tr>' for r in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


def _node_tooltip(node: NodeInfo) -> str:
    return (f"{node.hostname} ({node.id[:12]}) {node.address} engine {node.engine_version}"
            + (f" - {node.message}" if node.message else ""))


def _task_name(t: TaskInfo) -> str:
    return f"{t.service}.{t.slot}" if t.slot is not None else f"{t.service} (global)"


def _task_cell(t: TaskInfo, host_ports: Sequence[int], fills: dict[str, str],
               node_ready: bool) -> str:
    """One task as a table cell: service.slot, image tag, host ports, state if unusual."""
    settled = t.running and t.desired_state == "running"
    if not node_ready:  # the node cannot report: this is the last thing managers heard
        state = ["last seen " + t.state]
    elif t.running and t.desired_state != "running":
        state = ["stopping"]
    else:
        state = [] if t.running else [t.state]
    detail = " \u00b7 ".join([tag(t.image)] + [f":{p}" for p in host_ports] + state)
    fill = fills.get(t.service, "#ffffff") if node_ready else DOWN
    style = "rounded" if settled and node_ready else "rounded,dashed"
    return (f'<td bgcolor="{fill}" style="{style}"><b>{escape(_task_name(t))}</b><br/>'
            f'<font point-size="9">{escape(detail)}</font></td>')


def _task_tooltip(t: TaskInfo) -> str:
    addrs = ", ".join(t.addresses) or "no overlay address"
    extra = f" - {t.error or t.message}" if (t.error or not t.running) else ""
    return f"{_task_name(t)} {t.id[:12]} {t.image} {t.state} since {t.state_since}; {addrs}{extra}"


def _unplaced_box(
    g: graphviz.Digraph, tasks: Sequence[TaskInfo], fills: dict[str, str], above: list[str]
) -> None:
    cells = []
    for t in sorted(tasks, key=lambda t: (t.service, t.slot or 0)):
        why = "<br/>".join(escape(line) for line in textwrap.wrap(
            f"{t.state}: {t.error or t.message}", 48, max_lines=3))
        cells.append(f'<tr><td bgcolor="{fills.get(t.service, "#ffffff")}" style="rounded,'
                     f'dashed"><b>{escape(_task_name(t))}</b><br/><font point-size="9">{why}'
                     "</font></td></tr>")
    with g.subgraph(name="cluster_unplaced") as box:
        box.attr(label="<<b>not placed on any node</b>>", style="rounded,dashed",
                 color="#cf222e", labeljust="l")
        box.node("unplaced", '<<table border="0" cellborder="1" cellspacing="5" '
                 f'cellpadding="3">{"".join(cells)}</table>>')
    for a in above:
        g.edge(a, "unplaced")


def _ports(s: ServiceInfo) -> str:
    return ", ".join(
        f"{p.published or '?'}\u2192{p.target}/{p.protocol}"
        + (" host" if p.mode == "host" else " mesh") for p in s.ports
    )


def _legend(snapshot: Snapshot, fills: dict[str, str], title: str | None) -> str:
    rows = [f'<tr><td align="left"><b>{escape(title or headline(snapshot))}</b></td></tr>']
    if snapshot.services:
        rows.append(f'<tr><td align="left">{_services_table(snapshot, fills)}</td></tr>')
    overlays = _overlays(snapshot)
    if overlays:
        rows.append(f'<tr><td align="left"><font point-size="9">overlay networks: '
                    f"{escape(overlays)}</font></td></tr>")
    for err in snapshot.errors[:3]:
        text = "".join(escape(line) + '<br align="left"/>'
                       for line in textwrap.wrap(err, 90, max_lines=3))
        rows.append(f'<tr><td align="left"><font color="#cf222e">{text}</font></td></tr>')
    return f'<<table border="0" cellborder="0" cellspacing="2">{"".join(rows)}</table>>'


def _services_table(snapshot: Snapshot, fills: dict[str, str]) -> str:
    head = "".join(f'<td align="left"><i>{h}</i></td>'
                   for h in ("service", "tasks", "image", "ports \u00b7 networks"))
    rows = [f"<tr><td></td>{head}</tr>"]
    for s in sorted(snapshot.services, key=lambda s: s.name):
        wanted = "global" if s.mode.startswith("global") else f"{s.replicas}"
        running = sum(t.running and t.desired_state == "running"
                      for t in snapshot.tasks if t.service_id == s.id)
        where = " \u00b7 ".join(x for x in (_ports(s), ", ".join(s.networks)) if x) or "-"
        rows.append(
            f'<tr><td bgcolor="{fills.get(s.name, "#ffffff")}" style="rounded" width="16">'
            f' </td><td align="left">{escape(s.name)}</td><td align="left">{running}/{wanted}'
            f'</td><td align="left">{escape(s.image)}</td><td align="left">{escape(where)}'
            "</td></tr>"
        )
    return (f'<table border="0" cellborder="0" cellspacing="2" cellpadding="1">'
            f'{"".join(rows)}</table>')


def _overlays(snapshot: Snapshot) -> str:
    mesh = any(p.mode != "host" for s in snapshot.services for p in s.ports)
    nets = [n for n in snapshot.networks
            if n.driver == "overlay" and (not n.ingress or mesh)]
    return "; ".join(
        f"{n.name} {'/'.join(n.subnets)}" + (" (routing mesh)" if n.ingress else "")
        + (" attachable" if n.attachable else "") for n in sorted(nets, key=lambda n: n.name)
    )


def headline(snapshot: Snapshot, clock: bool = True) -> str:
    """One line on the swarm: nodes ready, tasks running, services (and when, if ``clock``)."""
    at = time.strftime(" at %H:%M:%S", time.localtime(snapshot.taken_at)) if clock else ""
    if not snapshot.swarm_active:
        return f"no swarm{at} ({snapshot.source.node}: {snapshot.source.local_state})"
    if snapshot.no_leader:
        return f"swarm{at}: no leader, so no management (quorum lost?)"
    if not snapshot.nodes:
        return f"swarm{at}: no manager answered"
    ready = sum(n.ready for n in snapshot.nodes)
    running = sum(t.running and t.desired_state == "running" for t in snapshot.tasks)
    return (f"swarm{at}: {ready}/{len(snapshot.nodes)} nodes ready, "
            f"{running} tasks running, {len(snapshot.services)} services")
