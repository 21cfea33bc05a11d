"""The Snapshot's types: frozen, typed views of the Engine API's swarm objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NodeInfo:
    """A swarm node as ``GET /nodes`` describes it."""

    id: str
    hostname: str
    role: str  # "manager" / "worker"
    leader: bool
    reachability: str  # managers: "reachable" / "unreachable" / "unknown"; workers: ""
    availability: str  # "active" / "pause" / "drain"
    state: str  # "ready" / "down" / "unknown" / "disconnected"
    labels: dict[str, str]
    address: str
    engine_version: str
    message: str = ""  # Status.Message, e.g. why a node is down

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def ready(self) -> bool:
        return self.state == "ready"


@dataclass(frozen=True)
class PortInfo:
    target: int
    published: int | None
    protocol: str  # tcp / udp / sctp
    mode: str  # "ingress" / "host"


@dataclass(frozen=True)
class MountInfo:
    type: str  # volume / bind / tmpfs / npipe / cluster
    source: str
    target: str
    read_only: bool
    no_copy: bool


@dataclass(frozen=True)
class FileRef:
    """A secret or config used by a service: names and where it lands, never its value."""

    name: str
    id: str
    target: str  # the file name (secrets: under /run/secrets/) or absolute path (configs)
    mode: int | None = None


@dataclass(frozen=True)
class UpdatePolicy:
    """``UpdateConfig`` or ``RollbackConfig`` of a service."""

    parallelism: int
    delay_s: float
    failure_action: str  # "pause" / "continue" / "rollback"
    monitor_s: float
    max_failure_ratio: float
    order: str  # "stop-first" / "start-first"


@dataclass(frozen=True)
class UpdateStatus:
    state: str  # updating / paused / completed / rollback_started / rollback_paused / ...
    message: str
    started_at: str
    completed_at: str


@dataclass(frozen=True)
class ServiceInfo:
    """A service's spec and status (``GET /services?status=true``)."""

    id: str
    name: str
    mode: str  # "replicated" / "global" (jobs: "replicated-job" / "global-job")
    replicas: int | None  # None for global services
    image: str  # without its @sha256 digest
    command: tuple[str, ...]
    args: tuple[str, ...]
    env_keys: tuple[str, ...]
    labels: dict[str, str]
    constraints: tuple[str, ...]
    ports: tuple[PortInfo, ...]
    networks: tuple[str, ...]  # network names where known, else ids
    mounts: tuple[MountInfo, ...]
    secrets: tuple[FileRef, ...]
    configs: tuple[FileRef, ...]
    endpoint_mode: str  # "vip" / "dnsrr"
    virtual_ips: tuple[str, ...]
    update_config: UpdatePolicy | None
    rollback_config: UpdatePolicy | None
    update_status: UpdateStatus | None
    running_tasks: int | None  # ServiceStatus, from the managers' own count
    desired_tasks: int | None
    created_at: str
    updated_at: str
    previous_image: str | None = None  # PreviousSpec's image: what a rollback returns to


@dataclass(frozen=True)
class TaskInfo:
    """One task (``GET /tasks``), including old ones kept as history."""

    id: str
    service_id: str
    service: str  # service name ("" if the service is gone)
    slot: int | None  # None for global tasks
    node_id: str
    node: str  # node hostname ("" if not assigned or node removed)
    desired_state: str  # running / shutdown / ready / accepted
    state: str  # new / pending / assigned / ... / running / complete / failed / shutdown ...
    message: str
    error: str
    created_at: str
    updated_at: str
    state_since: str  # Status.Timestamp: when it entered ``state``
    image: str
    container_id: str
    exit_code: int | None
    addresses: tuple[str, ...]  # "10.0.1.5/24", one per attached network

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True)
class NetworkInfo:
    id: str
    name: str
    driver: str
    scope: str  # "swarm" / "local"
    attachable: bool
    ingress: bool
    internal: bool
    subnets: tuple[str, ...]
    labels: dict[str, str]


@dataclass(frozen=True)
class ObjectInfo:
    """A secret's or config's metadata (values are never kept)."""

    id: str
    name: str
    labels: dict[str, str]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class ApiView:
    """What the node that answered said about itself (``GET /info``'s ``Swarm``)."""

    node: str  # the lab node the snapshot came from
    local_state: str  # inactive / pending / active / error / locked / unreachable
    node_id: str = ""
    node_addr: str = ""
    control_available: bool = False  # this node is a manager
    cluster_id: str = ""
    managers: int = 0
    nodes: int = 0
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


__all__ = ["ApiView", "FileRef", "MountInfo", "NetworkInfo", "NodeInfo", "ObjectInfo", "PortInfo",
           "ServiceInfo", "TaskInfo", "UpdatePolicy", "UpdateStatus"]
