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


IPSEC_HOW = (
    "encrypted overlay networks (`--opt encrypted`) need the kernel's IPsec (ESP, with the "
    "AES-GCM cipher): on a Linux host run `sudo modprobe esp4` (and restart the lab), or use "
    "a machine or VM whose kernel has it (the Vagrant provider)"
)

# Docker programs ESP states with AES-GCM through netlink (xfrm). Adding one such state in a
# throwaway network namespace tells whether this kernel can; nothing is left behind.
IPSEC_PROBE = (
    "modprobe -q esp4 2>/dev/null; "
    "unshare -n ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 reqid 1 "
    "mode transport aead 'rfc4106(gcm(aes))' 0x" + "11" * 20 + " 64 2>&1 "
    "&& echo present || { echo missing; uname -r; }"
)


def ipsec_why(out: str, where: str) -> tuple[bool, str]:
    """Read ``IPSEC_PROBE``'s output on ``where`` (a node, or the host)."""
    lines = [line.strip() for line in out.strip().splitlines() if line.strip()]
    if lines and lines[-1] == "present":
        return True, f"{where}'s kernel has IPsec (ESP with AES-GCM)"
    said = next((line.rstrip(".") for line in lines if line.startswith("Error")),
                "the probe failed")
    kernel = lines[-1] if len(lines) > 1 and lines[-2] == "missing" else "?"
    return False, f"{where}'s kernel ({kernel}) has no IPsec for encrypted overlays: {said}"


def ipsec_available(node: Node) -> tuple[bool, str]:
    """Whether ``node``'s kernel can encrypt overlay traffic (IPsec ESP), and why."""
    try:
        res = node.run(IPSEC_PROBE, timeout=15)
    except SwarmLabError as e:
        return False, f"could not probe {node.name} for IPsec: {e}"
    return ipsec_why(res.stdout, node.name)
