"""Lab 15's repair of a Docker engine bug met after ``docker swarm init --force-new-cluster``.

What happens (moby 26.1 to 28.5, read in ``daemon/cluster/noderunner.go`` and
``libnetwork/agent.go``): ``--force-new-cluster`` stops the node's swarm runner, which
queues a "left the cluster" event for the network code, then starts a new runner, which
hands the network code the cluster again. When the old event is handled *after* that,
the network code drops the cluster for good: the engine still is a manager, but every
overlay network created there is made locally and refused with "no VNI provided". The
swarm itself is fine; only restarting the engine mends it. Seen about once in ten forced
clusters when the lost managers were still listed in Raft (as in lab 15), never on a
fresh cluster.

``repair_overlay`` tries one throwaway overlay network and, only on that error,
restarts the node (the kit's ``lab.stop``/``lab.start``: the swarm's state is on the
node's disk and survives). Lab 15 calls it right after the forced cluster, before
autolock (a restarted manager would then be locked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from swarmlab.i18n import _

if TYPE_CHECKING:
    from swarmlab.lab import Lab

NO_VNI = "no VNI provided"
PROBE = "swarmlab-probe"
_TRY = (f"docker network create -d overlay {PROBE} >/dev/null && "
        f"docker network rm {PROBE} >/dev/null")


def _overlay_error(lab: Lab, node: str) -> str:
    """What creating an overlay network on ``node`` answers: ``""`` if it worked."""
    res = lab.node(node).run(_TRY, timeout=60)
    return "" if res.ok else (res.stderr or res.stdout).strip() or f"exit code {res.exit_code}"


def repair_overlay(lab: Lab, node: str = "manager1") -> bool:
    """Whether ``node``'s engine had to be restarted so that overlay networks work again;
    prints what it found and did."""
    error = _overlay_error(lab, node)
    if not error:
        print(_("Overlay networks work on {node}: nothing to repair.").format(node=node))
        return False
    if NO_VNI not in error:
        print(_("{node} cannot create an overlay network: {error}").format(
            node=node, error=error))
        return False
    print(_("{node}'s engine lost the swarm's networks after the forced new cluster (\"no "
            "VNI provided\", a Docker bug): restarting it ...").format(node=node))
    lab.stop(node)
    lab.start(node)
    error = _overlay_error(lab, node)
    if error:
        print(_("{node} still cannot create an overlay network: {error}").format(
            node=node, error=error))
    else:
        print(_("{node} creates overlay networks again.").format(node=node))
    return True


__all__ = ["NO_VNI", "repair_overlay"]
