"""The swarm's state in one read: ``take_snapshot(lab) -> Snapshot``.

Checks and pictures take a Snapshot, so they are unit-tested on snapshots recorded from
real clusters (``Snapshot.to_json`` / ``from_json``) and integration-tested live.
"""

from swarmlab.state.fetch import fetch_raw, fetch_script, take_snapshot
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
from swarmlab.state.snapshot import Snapshot, parse

__all__ = [
    "ApiView",
    "FileRef",
    "MountInfo",
    "NetworkInfo",
    "NodeInfo",
    "ObjectInfo",
    "PortInfo",
    "ServiceInfo",
    "Snapshot",
    "TaskInfo",
    "UpdatePolicy",
    "UpdateStatus",
    "fetch_raw",
    "fetch_script",
    "parse",
    "take_snapshot",
]
