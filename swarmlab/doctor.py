"""Preflight: each item PASS / WARN / FAIL with the fix in one line.

Every item is a pure function of what a probe read (``docker info``, /proc files, a
test node's answers), so each can be unit-tested on a faked input; ``run_doctor``
gathers the real inputs.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarmlab import engine, host
from swarmlab.errors import SwarmLabError
from swarmlab.images import image_table
from swarmlab.lab import Lab
from swarmlab.providers.dind import NODE_MIB, DindProvider

NODE_DISK_MIB = 150  # a node's /var/lib/docker with the lab images and some tasks
IMAGE_DISK_MIB = 600  # the node image and its base


@dataclass(frozen=True)
class Item:
    name: str
    status: str  # PASS | WARN | FAIL
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"[{self.status:4}] {self.name}: {self.detail}"
        return text + (f"\n       fix: {self.fix}" if self.fix and self.status != "PASS" else "")


# ----- items: pure functions of probe results ----------------------------------------
def engine_item(version: dict[str, Any] | None, error: str = "") -> Item:
    if version is None:
        return Item("docker engine", "FAIL", error or "no engine answers",
                    "run ./lab.sh (installs and starts Docker on Debian/Ubuntu), or start Docker")
    return Item("docker engine", "PASS",
                f"{version.get('Version')} (API {version.get('ApiVersion')})")


def rootless_item(info: dict[str, Any]) -> Item:
    opts = " ".join(info.get("SecurityOptions") or [])
    if "rootless" in opts:
        return Item("rootful engine", "FAIL", "the engine runs rootless: it cannot give "
                    "Docker-in-Docker nodes the privileges they need",
                    "use a rootful Docker engine (or --provider vm)")
    return Item("rootful engine", "PASS", "the engine runs as root")


def desktop_item(info: dict[str, Any]) -> Item | None:
    os_name = str(info.get("OperatingSystem", ""))
    if "Docker Desktop" not in os_name:
        return None
    return Item("Docker Desktop", "PASS", f"{os_name}: nodes run in Desktop's Linux VM, whose "
                "kernel has IPVS, so the routing mesh works; node addresses are reachable "
                "only from inside that VM (use `swarmlab exec`, not the host shell)")


def privilege_item(privileged: bool) -> Item:
    how = "--privileged" if privileged else \
        "--cap-add ALL --cap-drop SYS_RESOURCE (this host refuses --privileged)"
    return Item("node privileges", "PASS", f"nodes run with {how}")


def cgroup_item(info: dict[str, Any], node_probe: dict[str, str] | None) -> Item:
    version = str(info.get("CgroupVersion") or "1")
    if node_probe is None:
        return Item(f"cgroups (v{version})", "WARN", "not tried: no test node was made "
                    "(quick mode, or no node image)", "swarmlab doctor (without --quick)")
    if node_probe.get("task") != "ok":
        return Item(f"cgroups (v{version})", "FAIL",
                    f"a test node could not run a container: {node_probe.get('task', '')[:300]}",
                    "see README 'What the nodes need'; on cgroup v2 hosts use Docker 20.10+")
    return Item(f"cgroups (v{version})", "PASS", "a test node ran a container (cgroups writable)")


def storage_item(host_driver: str, node_probe: dict[str, str] | None) -> Item:
    inner = (node_probe or {}).get("driver", "")
    if inner == "overlay2":
        return Item("storage driver", "PASS", f"overlay2 inside nodes (host: {host_driver})")
    if node_probe is None:
        return Item("storage driver", "WARN", f"host uses {host_driver}; nodes not probed")
    return Item("storage driver", "WARN", f"nodes fall back to {inner or 'unknown'} (slow, "
                "large)", "keep Docker's data on ext4 or xfs so overlay2 works inside nodes")


def ipvs_item(present: bool, why: str) -> Item:
    if present:
        return Item("IPVS (routing mesh, VIP)", "PASS", why)
    return Item(
        "IPVS (routing mesh, VIP)", "WARN",
        f"{why}: the ingress routing mesh and VIP load balancing cannot work; the labs use "
        "--endpoint-mode dnsrr and --publish mode=host instead and skip those checks",
        "`sudo modprobe ip_vs` on the host, or use --provider vm",
    )


def ipsec_item(present: bool, why: str) -> Item:
    if present:
        return Item("IPsec (encrypted overlays)", "PASS", why)
    return Item("IPsec (encrypted overlays)", "WARN",
                f"{why}: `--opt encrypted` overlay networks cannot carry traffic; lab 15 "
                "skips that check", "`sudo modprobe esp4` on the host, or use --provider vm")


def bridge_nf_item(value: str | None) -> Item:
    if value is None:
        return Item("bridge-nf-call-iptables", "WARN", "br_netfilter is not loaded",
                    "`sudo modprobe br_netfilter` (Docker usually loads it)")
    if value.strip() != "1":
        return Item("bridge-nf-call-iptables", "WARN", f"is {value.strip()}, not 1",
                    "`sudo sysctl -w net.bridge.bridge-nf-call-iptables=1`")
    return Item("bridge-nf-call-iptables", "PASS", "1")


def resources_item(mem_available_kib: int, disk_free_mib: int, nodes: int,
                   images_present: bool) -> Item:
    need_mem = nodes * NODE_MIB
    need_disk = nodes * NODE_DISK_MIB + (0 if images_present else IMAGE_DISK_MIB)
    have_mem = mem_available_kib // 1024
    detail = (f"{have_mem} MiB memory and {disk_free_mib} MiB disk free; a {nodes}-node lab "
              f"needs about {need_mem} MiB and {need_disk} MiB")
    if have_mem < need_mem or disk_free_mib < need_disk:
        return Item("memory and disk", "FAIL", detail,
                    "close other programs, free disk space, or use fewer nodes (--workers)")
    if have_mem < 2 * need_mem:
        return Item("memory and disk", "WARN", detail, "a tight fit: avoid larger labs")
    return Item("memory and disk", "PASS", detail)


def subnet_item(lab_subnet: str | None, routes: Iterable[ipaddress.IPv4Network]) -> Item:
    if lab_subnet is None:
        return Item("lab subnet", "PASS", "a free /24 in 172.29.0.0/16 is chosen at `up`")
    net = ipaddress.IPv4Network(lab_subnet)
    clash = [str(r) for r in routes if r.overlaps(net) and r != net and r.prefixlen > 0]
    if clash:
        return Item("lab subnet", "FAIL", f"{net} overlaps host routes {', '.join(clash)}",
                    "swarmlab down, then swarmlab up (a free subnet is picked)")
    return Item("lab subnet", "PASS", f"{net} does not collide with a host route")


def graphviz_item(dot_path: str | None) -> Item:
    if dot_path:
        return Item("graphviz", "PASS", f"dot at {dot_path}")
    return Item("graphviz", "WARN", "no `dot`: pictures cannot be drawn",
                "apt-get install graphviz (or conda install graphviz)")


def images_item(rows: list[dict[str, str]]) -> Item:
    bad = [f"{r['image']} {r['state']}" for r in rows if r["state"] != "current"]
    if not bad:
        return Item("images", "PASS", f"{len(rows)} images built and current")
    node_missing = any(r["state"] == "missing" and "node" in r["image"] for r in rows)
    return Item("images", "FAIL" if node_missing else "WARN", "; ".join(bad),
                "swarmlab images build")


# ----- probes: read the real machine --------------------------------------------------
def probe_node(client: Any) -> dict[str, str] | None:
    """Make a throwaway node, run a container inside it, report; always removes it."""
    name = f"doctor-{os.getpid()}"
    try:
        lab = Lab.up(name, 1, 0, form_swarm=False, quiet=True)
        node = lab.nodes[0]
        task = node.run("docker run --rm swarmlab/tools:latest true", timeout=120)
        driver = node.run("docker info -f '{{.Driver}}'").stdout.strip()
        why = task.stderr.strip() or task.stdout.strip() or "no output"
        if task.exit_code == 124:
            why = "no answer within 120s (is the machine overloaded?)"
        return {"task": "ok" if task.ok else f"exit {task.exit_code}: {why}", "driver": driver}
    except SwarmLabError:
        return None
    finally:
        DindProvider(client).delete(name)


def _engine_items(client: Any, lab: str, nodes: int, deep: bool) -> list[Item]:
    info = client.info()
    rows = image_table(client)
    items = [rootless_item(info), images_item(rows)]
    desktop = desktop_item(info)
    if desktop:
        items.append(desktop)
    node_ok = any(r["state"] != "missing" for r in rows if "node" in r["image"])
    prov = DindProvider(client)
    if node_ok:
        items.append(privilege_item(prov.privileged_works()))
    probe = probe_node(client) if (deep and node_ok) else None
    items += [cgroup_item(info, probe), storage_item(str(info.get("Driver")), probe)]
    root = info.get("DockerRootDir") or "/var/lib/docker"
    disk = shutil.disk_usage(root if Path(root).exists() else "/").free // 2**20
    items.append(resources_item(host.mem_available_kib(), disk, nodes, node_ok))
    items.append(subnet_item(prov.lab_subnet(lab), host.routes()))
    return items


def run_doctor(lab: str = "default", nodes: int = 3, echo: Callable[[str], None] = print,
               deep: bool = True) -> bool:
    """Print every item; True when nothing FAILs."""
    items: list[Item] = []
    try:
        client = engine.connect(timeout=10)
        items.append(engine_item(client.version()))
    except SwarmLabError as e:
        client = None
        items.append(engine_item(None, str(e).splitlines()[0]))
    if client is not None:
        items += _engine_items(client, lab, nodes, deep)
    items.append(ipvs_item(*host.ipvs()))
    items.append(ipsec_item(*host.ipsec()))
    items.append(bridge_nf_item(host.bridge_nf_call_iptables()))
    items.append(graphviz_item(shutil.which("dot")))
    for item in items:
        echo(item.line())
    return all(i.status != "FAIL" for i in items)
