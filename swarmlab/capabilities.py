"""What a node's kernel can do, probed on the node itself (checks SKIP on what is missing)."""

from __future__ import annotations

from swarmlab.errors import SwarmLabError
from swarmlab.node import Node

IPVS_HOW = (
    "the ingress routing mesh and VIP load balancing need the kernel's IPVS: on a Linux "
    "host run `sudo modprobe ip_vs` (and restart the lab), or use a machine or VM whose "
    "kernel has it (the Vagrant provider); Docker Desktop has it built in"
)

_IPVS_PROBE = (
    "if [ -e /proc/net/ip_vs ]; then echo present; "
    "elif modprobe ip_vs >/dev/null 2>&1 && [ -e /proc/net/ip_vs ]; then echo loaded; "
    "else echo 'missing'; uname -r; modprobe ip_vs 2>&1 | tail -n 1; fi"
)


def ipvs_available(node: Node) -> tuple[bool, str]:
    """Whether ``node``'s kernel has IPVS (``/proc/net/ip_vs``, or ``modprobe ip_vs``
    works), and why, in words a learner can act on."""
    try:
        res = node.run(_IPVS_PROBE, timeout=15)
    except SwarmLabError as e:
        return False, f"could not probe {node.name} for IPVS: {e}"
    lines = res.stdout.strip().splitlines()
    if lines and lines[0] == "present":
        return True, f"{node.name}'s kernel has IPVS (/proc/net/ip_vs)"
    if lines and lines[0] == "loaded":
        return True, f"IPVS loaded on {node.name} with `modprobe ip_vs`"
    kernel = lines[1] if len(lines) > 1 else "?"
    why = lines[2] if len(lines) > 2 else "no /proc/net/ip_vs"
    return False, f"{node.name}'s kernel ({kernel}) has no IPVS: {why}"
