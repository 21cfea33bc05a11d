"""Repeated up/down cycles: what is left behind and whether cycles get slower."""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass, field
from typing import Any

from swarmlab.lab import Lab
from swarmlab.providers import labels as L


@dataclass
class SoakResult:
    up_s: list[float] = field(default_factory=list)
    down_s: list[float] = field(default_factory=list)
    leftovers: dict[str, int] = field(default_factory=dict)
    stale_cgroups: list[str] = field(default_factory=list)

    @property
    def growth(self) -> float:
        """Mean up time of the last third over the first third (1.0 = no growth)."""
        k = max(1, len(self.up_s) // 3)
        first, last = self.up_s[:k], self.up_s[-k:]
        return (sum(last) / len(last)) / (sum(first) / len(first))


def cgroup_dirs_of(container_ids: set[str]) -> list[str]:
    """Host cgroup folders still named after any of these containers (v1 and v2)."""
    found = []
    for pattern in ("/sys/fs/cgroup/*/docker/*", "/sys/fs/cgroup/docker/*",
                    "/sys/fs/cgroup/system.slice/docker-*.scope"):
        for path in glob.glob(pattern):
            if any(cid in path for cid in container_ids):
                found.append(path)
    return found


def soak(client: Any, cycles: int, name: str = "soak", workers: int = 2,
         with_service: bool = True) -> SoakResult:
    """Run ``cycles`` of up (with a service's tasks running) and down."""
    result = SoakResult()
    ids: set[str] = set()
    for _ in range(cycles):
        t = time.monotonic()
        lab = Lab.up(name, 1, workers, quiet=True)
        result.up_s.append(time.monotonic() - t)
        ids |= {c.id for c in client.containers.list(ignore_removed=True,
                                                  filters={"label": f"{L.LAB}={name}"})}
        if with_service:
            lab.node("manager1").run(
                f"docker service create -q --name soak --replicas {workers + 1} swarmlab/web:v1",
                timeout=60,
            )
        t = time.monotonic()
        lab.down(quiet=True)
        result.down_s.append(time.monotonic() - t)
    flt = {"label": f"{L.LAB}={name}"}
    result.leftovers = {
        "containers": len(client.containers.list(all=True, ignore_removed=True, filters=flt)),
        "networks": len(client.networks.list(filters=flt)),
        "volumes": len(client.volumes.list(filters=flt)),
    }
    result.stale_cgroups = cgroup_dirs_of(ids)
    return result
