"""Preflight: each item PASS / WARN / FAIL with the fix in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarmlab.errors import SwarmLabError


@dataclass(frozen=True)
class Item:
    name: str
    status: str  # PASS | WARN | FAIL
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"[{self.status:4}] {self.name}: {self.detail}"
        return text + (f"\n       fix: {self.fix}" if self.fix and self.status != "PASS" else "")


def check_engine() -> tuple[Item, Any]:
    from swarmlab import engine

    try:
        client = engine.connect(timeout=10)
    except SwarmLabError as e:
        first = str(e).splitlines()[0]
        return Item("docker engine", "FAIL", first, "run ./lab.sh, or start Docker"), None
    v = client.version()
    return Item("docker engine", "PASS", f"{v.get('Version')} (API {v.get('ApiVersion')})"), client


def check_images(client: Any) -> Item:
    from swarmlab.images import image_table

    rows = image_table(client)
    bad = [f"{r['image']} {r['state']}" for r in rows if r["state"] != "current"]
    if not bad:
        return Item("images", "PASS", f"{len(rows)} images built and current")
    missing_node = any(r["state"] == "missing" and "node" in r["image"] for r in rows)
    return Item("images", "FAIL" if missing_node else "WARN", "; ".join(bad),
                "swarmlab images build")


def check_node_creation(client: Any) -> Item:
    from swarmlab.images.build import NODE, current_hash
    from swarmlab.providers.dind import DindProvider

    if current_hash(client, NODE) is None:
        return Item("node creation", "FAIL", "no node image yet", "swarmlab images build")
    prov = DindProvider(client)
    mode = "--privileged" if prov.privileged_works() else \
        "--cap-add ALL --cap-drop SYS_RESOURCE (no --privileged here)"
    return Item("node creation", "PASS", f"nodes run with {mode}")


def ipvs_on_host() -> tuple[bool, str]:
    """The routing mesh and VIPs need the kernel's IPVS (module ip_vs)."""
    if Path("/proc/net/ip_vs").exists():
        return True, "ip_vs is loaded"
    if os.geteuid() == 0 and shutil.which("modprobe"):
        r = subprocess.run(["modprobe", "ip_vs"], capture_output=True, text=True)
        if r.returncode == 0 and Path("/proc/net/ip_vs").exists():
            return True, "ip_vs loaded with modprobe"
    return False, f"the kernel ({os.uname().release}) has no ip_vs module"


def check_ipvs() -> Item:
    ok, why = ipvs_on_host()
    if ok:
        return Item("IPVS (routing mesh, VIP)", "PASS", why)
    return Item(
        "IPVS (routing mesh, VIP)", "WARN",
        f"{why}: the ingress routing mesh and VIP load balancing cannot work; labs use "
        "--endpoint-mode dnsrr and --publish mode=host instead and skip those checks",
        "`sudo modprobe ip_vs` on the host, or use --provider vm",
    )


def check_graphviz() -> Item:
    if shutil.which("dot"):
        return Item("graphviz", "PASS", "dot found")
    return Item("graphviz", "WARN", "no `dot`: pictures cannot be drawn",
                "apt-get install graphviz (or conda install graphviz)")


def run_doctor(lab: str = "default", echo: Callable[[str], None] = print) -> bool:
    """Print every item; True when nothing FAILs."""
    items: list[Item] = []
    engine_item, client = check_engine()
    items.append(engine_item)
    if client is not None:
        items += [check_images(client), check_node_creation(client)]
    items += [check_ipvs(), check_graphviz()]
    for item in items:
        echo(item.line())
    return all(i.status != "FAIL" for i in items)
