"""Engine API JSON -> Snapshot. Pure functions: unit-tested on answers recorded live.

``raw`` maps each endpoint (info, nodes, services, tasks, networks, secrets, configs) to
``{"status": HTTP status (0: no answer), "body": the decoded JSON}``.
"""

from __future__ import annotations

import time
from typing import Any

from swarmlab.state.model import (
    ApiView,
    FileRef,
    MountInfo,
    NetworkInfo,
    NodeInfo,
    ObjectInfo,
    PortInfo,
    ServiceInfo,
    TaskInfo,
    UpdatePolicy,
    UpdateStatus,
)

ENDPOINTS = ("info", "nodes", "services", "tasks", "networks", "secrets", "configs")
_INFO_KEEP = ("Name", "ServerVersion", "KernelVersion", "OperatingSystem", "NCPU", "MemTotal",
              "Containers", "ContainersRunning", "Swarm")
_NS = 1e9


def snapshot_fields(
    raw: dict[str, Any], node: str, *, taken_at: float | None = None,
    notes: tuple[str, ...] = (), took_s: float = 0.0,
) -> dict[str, Any]:
    """A Snapshot's fields from ``raw`` (sanitized in place: no env values, config data,
    certs). ``snapshot.parse`` makes the Snapshot; this module stays below it."""
    sanitize(raw)
    view = api_view(raw, node)
    nodes = tuple(parse_node(n) for n in _ok_list(raw, "nodes"))
    networks = tuple(parse_network(n) for n in _ok_list(raw, "networks"))
    net_names = {n.id: n.name for n in networks}
    services = tuple(parse_service(s, net_names) for s in _ok_list(raw, "services"))
    svc_names = {s.id: s.name for s in services}
    hostnames = {n.id: n.hostname for n in nodes}
    tasks = tuple(
        sorted((parse_task(t, svc_names, hostnames) for t in _ok_list(raw, "tasks")),
               key=lambda t: (t.service, t.slot or 0, t.node, t.created_at))
    )
    return dict(
        taken_at=time.time() if taken_at is None else taken_at,
        source=view,
        swarm_active=view.local_state == "active",
        nodes=tuple(sorted(nodes, key=lambda n: (n.role != "manager", n.hostname))),
        services=tuple(sorted(services, key=lambda s: s.name)),
        tasks=tasks,
        networks=tuple(sorted(networks, key=lambda n: n.name)),
        secrets=tuple(parse_object(s) for s in _ok_list(raw, "secrets")),
        configs=tuple(parse_object(c) for c in _ok_list(raw, "configs")),
        errors=tuple(notes) + endpoint_errors(raw),
        took_s=took_s,
        raw=raw,
    )


def endpoint_errors(raw: dict[str, Any]) -> tuple[str, ...]:
    """One line per distinct failure, naming the endpoints that gave it."""
    by_msg: dict[str, list[str]] = {}
    for ep in ENDPOINTS:
        got = raw.get(ep) or {"status": 0, "body": None}
        if got.get("status") == 200:
            continue
        body = got.get("body")
        msg = body.get("message") if isinstance(body, dict) else None
        msg = msg or (f"HTTP {got['status']}" if got.get("status") else "no answer from the engine")
        by_msg.setdefault(str(msg).strip(), []).append(ep)
    return tuple(f"{', '.join(eps)}: {msg}" for msg, eps in by_msg.items())


def sanitize(raw: dict[str, Any]) -> dict[str, Any]:
    """Drop what a snapshot must never keep (values) or never needs (certs, plugins)."""
    info = _body(raw, "info")
    if isinstance(info, dict):
        raw["info"]["body"] = info = {k: info[k] for k in _INFO_KEEP if k in info}
        cluster = (info.get("Swarm") or {}).get("Cluster") or {}
        cluster.pop("TLSInfo", None)
    for n in _ok_list(raw, "nodes"):
        desc = n.get("Description") or {}
        desc.pop("TLSInfo", None)
        (desc.get("Engine") or {}).pop("Plugins", None)
    for s in _ok_list(raw, "services"):
        for spec in (s.get("Spec"), s.get("PreviousSpec")):
            _strip_env(((spec or {}).get("TaskTemplate") or {}).get("ContainerSpec"))
    for t in _ok_list(raw, "tasks"):
        _strip_env((t.get("Spec") or {}).get("ContainerSpec"))
        for att in t.get("NetworksAttachments") or []:
            net = att.get("Network") or {}
            att["Network"] = {"ID": net.get("ID", ""),
                              "Spec": {"Name": (net.get("Spec") or {}).get("Name", "")}}
    for c in _ok_list(raw, "configs"):
        (c.get("Spec") or {}).pop("Data", None)
    return raw


def _strip_env(cspec: dict[str, Any] | None) -> None:
    if cspec and cspec.get("Env"):
        cspec["Env"] = [e.split("=", 1)[0] for e in cspec["Env"]]


def _body(raw: dict[str, Any], ep: str) -> Any:
    got = raw.get(ep) or {}
    return got.get("body") if got.get("status") == 200 else None


def _ok_list(raw: dict[str, Any], ep: str) -> list[dict[str, Any]]:
    body = _body(raw, ep)
    return body if isinstance(body, list) else []


def api_view(raw: dict[str, Any], node: str) -> ApiView:
    info = _body(raw, "info")
    if not isinstance(info, dict):
        return ApiView(node=node, local_state="unreachable")
    sw = info.get("Swarm") or {}
    return ApiView(
        node=node,
        local_state=sw.get("LocalNodeState") or "inactive",
        node_id=sw.get("NodeID", ""),
        node_addr=sw.get("NodeAddr", ""),
        control_available=bool(sw.get("ControlAvailable")),
        cluster_id=(sw.get("Cluster") or {}).get("ID", ""),
        managers=int(sw.get("Managers") or 0),
        nodes=int(sw.get("Nodes") or 0),
        error=sw.get("Error", ""),
        extra={"hostname": info.get("Name", ""), "engine": info.get("ServerVersion", ""),
               "kernel": info.get("KernelVersion", "")},
    )


def parse_node(d: dict[str, Any]) -> NodeInfo:
    spec, status = d.get("Spec") or {}, d.get("Status") or {}
    ms = d.get("ManagerStatus") or {}
    desc = d.get("Description") or {}
    addr = status.get("Addr", "")
    if addr in ("", "0.0.0.0") and ms.get("Addr"):
        addr = ms["Addr"].rsplit(":", 1)[0]
    return NodeInfo(
        id=d.get("ID", ""),
        hostname=desc.get("Hostname", ""),
        role=spec.get("Role", ""),
        leader=bool(ms.get("Leader")),
        reachability=ms.get("Reachability", ""),
        availability=spec.get("Availability", ""),
        state=status.get("State", ""),
        labels=dict(spec.get("Labels") or {}),
        address=addr,
        engine_version=(desc.get("Engine") or {}).get("EngineVersion", ""),
        message=status.get("Message", ""),
    )


def strip_digest(image: str) -> str:
    return image.split("@", 1)[0]


def _policy(d: dict[str, Any] | None) -> UpdatePolicy | None:
    if not d:
        return None
    return UpdatePolicy(
        parallelism=int(d.get("Parallelism", 1)),
        delay_s=d.get("Delay", 0) / _NS,
        failure_action=d.get("FailureAction", "pause"),
        monitor_s=d.get("Monitor", 0) / _NS,
        max_failure_ratio=float(d.get("MaxFailureRatio", 0)),
        order=d.get("Order", "stop-first"),
    )


def _refs(items: list[dict[str, Any]] | None, kind: str) -> tuple[FileRef, ...]:
    out = []
    for r in items or []:
        f = r.get("File") or {}
        out.append(FileRef(r.get(f"{kind}Name", ""), r.get(f"{kind}ID", ""),
                           f.get("Name", ""), f.get("Mode")))
    return tuple(out)


def _mode(mode: dict[str, Any]) -> tuple[str, int | None]:
    if "Replicated" in mode:
        return "replicated", int((mode["Replicated"] or {}).get("Replicas", 1))
    if "Global" in mode:
        return "global", None
    if "ReplicatedJob" in mode:
        return "replicated-job", int((mode["ReplicatedJob"] or {}).get("TotalCompletions", 1))
    return ("global-job" if "GlobalJob" in mode else "unknown"), None


def parse_service(d: dict[str, Any], net_names: dict[str, str]) -> ServiceInfo:
    spec = d.get("Spec") or {}
    tt = spec.get("TaskTemplate") or {}
    cs = tt.get("ContainerSpec") or {}
    ep = d.get("Endpoint") or {}
    ep_spec = spec.get("EndpointSpec") or ep.get("Spec") or {}
    mode, replicas = _mode(spec.get("Mode") or {})
    us = d.get("UpdateStatus")
    st = d.get("ServiceStatus") or {}
    prev = ((d.get("PreviousSpec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}
    nets = tt.get("Networks") or spec.get("Networks") or []
    return ServiceInfo(
        id=d.get("ID", ""),
        name=spec.get("Name", ""),
        mode=mode,
        replicas=replicas,
        image=strip_digest(cs.get("Image", "")),
        command=tuple(cs.get("Command") or ()),
        args=tuple(cs.get("Args") or ()),
        env_keys=tuple(e.split("=", 1)[0] for e in cs.get("Env") or ()),
        labels=dict(spec.get("Labels") or {}),
        constraints=tuple((tt.get("Placement") or {}).get("Constraints") or ()),
        ports=tuple(
            PortInfo(int(p.get("TargetPort", 0)), p.get("PublishedPort"),
                     p.get("Protocol", "tcp"), p.get("PublishMode", "ingress"))
            for p in (ep.get("Ports") or ep_spec.get("Ports") or ())
        ),
        networks=tuple(net_names.get(n.get("Target", ""), n.get("Target", "")) for n in nets),
        mounts=tuple(
            MountInfo(m.get("Type", ""), m.get("Source", ""), m.get("Target", ""),
                      bool(m.get("ReadOnly")), bool((m.get("VolumeOptions") or {}).get("NoCopy")))
            for m in cs.get("Mounts") or ()
        ),
        secrets=_refs(cs.get("Secrets"), "Secret"),
        configs=_refs(cs.get("Configs"), "Config"),
        endpoint_mode=ep_spec.get("Mode", "vip"),
        virtual_ips=tuple(v.get("Addr", "") for v in ep.get("VirtualIPs") or ()),
        update_config=_policy(spec.get("UpdateConfig")),
        rollback_config=_policy(spec.get("RollbackConfig")),
        update_status=UpdateStatus(us.get("State", ""), us.get("Message", ""),
                                   us.get("StartedAt", ""), us.get("CompletedAt", ""))
        if us else None,
        running_tasks=st.get("RunningTasks"),
        desired_tasks=st.get("DesiredTasks"),
        created_at=d.get("CreatedAt", ""),
        updated_at=d.get("UpdatedAt", ""),
        previous_image=strip_digest(prev["Image"]) if prev.get("Image") else None,
    )


def parse_task(d: dict[str, Any], services: dict[str, str], nodes: dict[str, str]) -> TaskInfo:
    status = d.get("Status") or {}
    cstat = status.get("ContainerStatus") or {}
    cs = (d.get("Spec") or {}).get("ContainerSpec") or {}
    return TaskInfo(
        id=d.get("ID", ""),
        service_id=d.get("ServiceID", ""),
        service=services.get(d.get("ServiceID", ""), ""),
        slot=d.get("Slot") or None,
        node_id=d.get("NodeID", ""),
        node=nodes.get(d.get("NodeID", ""), ""),
        desired_state=d.get("DesiredState", ""),
        state=status.get("State", ""),
        message=status.get("Message", ""),
        error=status.get("Err", ""),
        created_at=d.get("CreatedAt", ""),
        updated_at=d.get("UpdatedAt", ""),
        state_since=status.get("Timestamp", ""),
        image=strip_digest(cs.get("Image", "")),
        container_id=cstat.get("ContainerID", ""),
        exit_code=cstat.get("ExitCode"),
        addresses=tuple(a for att in d.get("NetworksAttachments") or ()
                        for a in att.get("Addresses") or ()),
    )


def parse_network(d: dict[str, Any]) -> NetworkInfo:
    return NetworkInfo(
        id=d.get("Id", ""), name=d.get("Name", ""), driver=d.get("Driver", ""),
        scope=d.get("Scope", ""), attachable=bool(d.get("Attachable")),
        ingress=bool(d.get("Ingress")), internal=bool(d.get("Internal")),
        subnets=tuple(c.get("Subnet", "") for c in (d.get("IPAM") or {}).get("Config") or ()),
        labels=dict(d.get("Labels") or {}),
    )


def parse_object(d: dict[str, Any]) -> ObjectInfo:
    spec = d.get("Spec") or {}
    return ObjectInfo(d.get("ID", ""), spec.get("Name", ""), dict(spec.get("Labels") or {}),
                      d.get("CreatedAt", ""), d.get("UpdatedAt", ""))
