"""What a cluster should look like: validated, frozen descriptions."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from swarmlab.errors import SpecError
from swarmlab.providers.registry import PROVIDERS

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
NODE_RE = re.compile(r"^(manager|worker)([1-9][0-9]?)$")
MAX_MANAGERS = 9
MAX_WORKERS = 50


class QuorumWarning(UserWarning):
    """An even number of managers tolerates no more failures than one fewer."""


@dataclass(frozen=True)
class NodeSpec:
    """One machine of the cluster: ``manager1``, ``worker2`` ..."""

    name: str
    role: str  # "manager" | "worker"
    index: int  # 1-based within its role

    @classmethod
    def parse(cls, name: str) -> NodeSpec:
        m = NODE_RE.match(name)
        if not m:
            raise SpecError(
                f"{name!r} is not a node name. Nodes are called manager1, manager2, ... "
                "and worker1, worker2, ..."
            )
        return cls(name, m.group(1), int(m.group(2)))


@dataclass(frozen=True)
class ClusterSpec:
    """A lab: its name, its shape and the provider that makes its machines."""

    name: str = "default"
    managers: int = 1
    workers: int = 2
    provider: str = "dind"
    options: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        validate_name(self.name)
        for what, value, top in (
            ("managers", self.managers, MAX_MANAGERS),
            ("workers", self.workers, MAX_WORKERS),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"{what} must be a whole number, not {value!r}.")
            low = 1 if what == "managers" else 0
            if not low <= value <= top:
                raise SpecError(
                    f"{what}={value} is out of range: use {low} to {top} "
                    f"(for example --{what} {1 if what == 'managers' else 2})."
                )
        if self.provider not in PROVIDERS:
            raise SpecError(
                f"Unknown provider {self.provider!r}: choose one of {', '.join(PROVIDERS)}."
            )
        if self.managers % 2 == 0:
            warnings.warn(
                f"{self.managers} managers tolerate no more failures than "
                f"{self.managers - 1}: Raft needs a majority, so prefer an odd count.",
                QuorumWarning,
                stacklevel=3,
            )

    @property
    def nodes(self) -> list[NodeSpec]:
        ms = [NodeSpec(f"manager{i}", "manager", i) for i in range(1, self.managers + 1)]
        ws = [NodeSpec(f"worker{i}", "worker", i) for i in range(1, self.workers + 1)]
        return ms + ws

    @property
    def shape(self) -> str:
        return f"{self.managers} manager(s) + {self.workers} worker(s)"


def validate_name(name: str) -> str:
    """Lab names become container and network names: keep them short and plain."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SpecError(
            f"Lab name {name!r} is not allowed: use 1-24 lowercase letters, digits or '-', "
            "starting with a letter (for example 'default' or 'class-a')."
        )
    return name
