"""The ssh provider's inventory: which hosts make the lab, how to reach them, their role.

An inventory (YAML) names each host's SSH address, user, key and role::

    defaults: {user: root, key: ~/.ssh/lab_ed25519, port: 22}
    hosts:
      - {name: manager1, address: 203.0.113.10, advertise: 10.0.0.10}
      - {name: worker1,  address: 203.0.113.11, interface: eth1}
      - {name: worker2,  address: 10.0.0.12, sudo: true, user: student}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from swarmlab.errors import SpecError
from swarmlab.spec import NodeSpec


@dataclass(frozen=True)
class Host:
    """One inventory entry, validated, with the key path made absolute."""

    name: str
    role: str
    address: str
    user: str = "root"
    port: int = 22
    key: str = ""
    advertise: str = ""
    interface: str = ""
    sudo: bool = False


def load_inventory(path: str | Path) -> list[Host]:
    """Read and validate an inventory file (``SpecError`` saying what is wrong)."""
    p = Path(path).expanduser()
    try:
        data = yaml.safe_load(p.read_text())
    except OSError as e:
        raise SpecError(f"Cannot read the inventory {p}: {e.strerror}.") from None
    except yaml.YAMLError as e:
        raise SpecError(f"The inventory {p} is not valid YAML: {e}") from None
    return parse_inventory(data, base=p.parent)


def parse_inventory(data: Any, base: Path = Path(".")) -> list[Host]:
    """Validate inventory data (as YAML gives it); key paths are resolved from ``base``."""
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), list):
        raise SpecError(
            "An inventory needs a `hosts:` list (see swarmlab/providers/ssh/inventory.py)."
        )
    defaults = data.get("defaults") or {}
    hosts: list[Host] = []
    counts = {"manager": 0, "worker": 0}
    for i, raw in enumerate(data["hosts"], 1):
        if not isinstance(raw, dict):
            raise SpecError(f"Inventory host #{i} must be a mapping, not {raw!r}.")
        entry = {**defaults, **raw}
        unknown = set(entry) - {f for f in Host.__dataclass_fields__} - {"role"}
        if unknown:
            raise SpecError(f"Inventory host #{i}: unknown field(s) {', '.join(sorted(unknown))}.")
        role = str(entry.get("role") or str(entry.get("name", "worker")).rstrip("0123456789"))
        if role not in counts:
            raise SpecError(f"Inventory host #{i}: role must be manager or worker, not {role!r}.")
        counts[role] += 1
        name = str(entry.get("name") or f"{role}{counts[role]}")
        spec = NodeSpec.parse(name)
        if spec.role != role:
            raise SpecError(f"Inventory host {name!r} has role {role!r}: names say the role.")
        if not entry.get("address"):
            raise SpecError(f"Inventory host {name!r} needs an `address` to SSH to.")
        key = str(entry.get("key") or "")
        if key:
            key = str((base / Path(key).expanduser()).resolve())
        hosts.append(Host(
            name=name, role=role, address=str(entry["address"]),
            user=str(entry.get("user", "root")), port=int(entry.get("port", 22)), key=key,
            advertise=str(entry.get("advertise") or ""),
            interface=str(entry.get("interface") or ""), sudo=bool(entry.get("sudo", False)),
        ))
    names = [h.name for h in hosts]
    if len(set(names)) != len(names):
        raise SpecError(f"Inventory host names repeat: {', '.join(names)}.")
    if not any(h.role == "manager" for h in hosts):
        raise SpecError("The inventory needs at least one manager (name: manager1).")
    return hosts


__all__ = ["Host", "load_inventory", "parse_inventory"]
