"""The preflight items about the engine, the nodes and the host's resources: each a pure
function of what a probe read (``docker info``, /proc files, a test node's answers)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from swarmlab.providers.dind import NODE_MIB

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
def cgroup_item(info: dict[str, Any], node_probe: dict[str, str] | None) -> Item:
    version = str(info.get("CgroupVersion") or "1")
    if node_probe is None:
        return Item(f"cgroups (v{version})", "WARN", "not tried: no test node was made "
                    "(quick mode, or no node image)", "swarmlab doctor (without --quick)")
    where = node_probe.get("where", "a test node")
    if node_probe.get("task") != "ok":
        return Item(f"cgroups (v{version})", "FAIL",
                    f"{where} could not run a container: {node_probe.get('task', '')[:300]}",
                    "see README 'What the nodes need'; on cgroup v2 hosts use Docker 20.10+")
    return Item(f"cgroups (v{version})", "PASS", f"{where} ran a container (cgroups writable)")


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
