"""Creation and repair as one list of named steps, shared by every way a lab is made whole.

::

    Lab.up (new lab)   prepare_images, provider.create, load_beside(form_swarm)
    Lab.up (reuse)     prepare_images, ensure_machines, start_stopped, engines_ready,
                       load_beside(ensure_swarm)
    Lab.add_worker     Lab.add_node, load_images (that node), join_new, Lab.wait_ready
    start_lab          prepare_images, ensure_machines(exact), start_stopped,
                       (labs.py resets the swarm), load_images

Each step takes the ``Lab`` and a ``Steps`` printer and returns what it changed, in words
(``start_lab`` prints them). Steps only call the Lab's public methods, the provider and
``swarmlab.swarm``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from swarmlab import swarm
from swarmlab.errors import SwarmLabError
from swarmlab.images.build import lab_image_tags
from swarmlab.node import Node
from swarmlab.parallel import parallel
from swarmlab.progress import Steps
from swarmlab.spec import ClusterSpec

if TYPE_CHECKING:
    from swarmlab.lab import Lab

Step = Callable[["Lab", Steps], list[str]]


def ensure_machines(lab: Lab, spec: ClusterSpec, steps: Steps, exact: bool = False) -> list[str]:
    """Make the machines ``spec`` names that the lab lacks; ``exact``: remove the others."""
    changes = []
    wanted = {n.name: n for n in spec.nodes}
    if exact:
        for name in [n for n in lab.node_names if n not in wanted]:
            lab.remove_node(name, steps)
            changes.append(f"removed {name}")
    for name, node_spec in wanted.items():
        if name not in lab.node_names:
            if not exact:
                steps.say(f"  - {name} is missing (removed by hand?): recreating it")
            lab.add_node(node_spec, steps)
            changes.append(f"added {name}")
    return changes


def start_stopped(lab: Lab, steps: Steps) -> list[str]:
    """Power on, together, every machine that is not running."""
    stopped = [name for name, state in lab.provider.states(lab.name).items()
               if state != "running"]
    if stopped:
        with steps.step(f"start {', '.join(stopped)}"):
            lab.provider.start_many(lab.name, stopped)
    return [f"started {name}" for name in stopped]


def engines_ready(lab: Lab, steps: Steps) -> list[str]:
    """Until every node's engine answers: a machine can be running while its dockerd still
    starts (the host engine just restarted the nodes, or a node was just started)."""
    with steps.step("every node's engine answers"):
        parallel(lambda n: lab.provider.wait_engine(n), lab.nodes)
    return []


def form_swarm(lab: Lab, steps: Steps) -> list[str]:
    """Init and join a fresh swarm, then wait until every node is Ready."""
    with steps.step("form the swarm (init, join)"):
        swarm.form(lab.nodes)
    with steps.step("wait until every node is Ready"):
        swarm.wait_ready(lab.nodes)
    return ["formed the swarm"]


def ensure_swarm(lab: Lab, steps: Steps) -> list[str]:
    """Join what is missing; if the swarm cannot be made whole, form it afresh."""
    changes = []
    try:
        with steps.step("check the swarm"):
            swarm.form(lab.nodes)
            swarm.wait_ready(lab.nodes, timeout=30)
    except SwarmLabError as e:
        steps.say(f"  - the swarm is broken ({str(e).splitlines()[0]}): forming it afresh")
        swarm.leave_all(lab.nodes)
        changes = form_swarm(lab, steps)
    swarm.prune_stale(lab.managers[0], lab.node_names)
    return changes


def join_new(lab: Lab, nodes: Sequence[Node]) -> list[str]:
    """Join ``nodes`` to the lab's swarm through the manager that answers now."""
    m = lab.manager()
    for node in nodes:
        swarm.join(node, swarm.join_token(m, node.role), m)
    return [f"joined {n.name}" for n in nodes]


def prepare_images(lab: Lab, steps: Steps) -> list[str]:
    """Build the images whose recipe changed (cheap when none did)."""
    lab.provider.prepare_images(steps)
    return []


def load_images(lab: Lab, steps: Steps, nodes: Sequence[Node] | None = None) -> list[str]:
    """Load the lab images a node lacks (those of the lab the cluster was prepared for,
    ``lab.lab_id``): into ``nodes``, or every running node."""
    tags = list(lab_image_tags(lab.lab_id))
    with steps.step("lab images present in every node"):
        if nodes is None:
            lab.load(tags)
        else:
            lab.provider.load_images(list(nodes), tags)
    return []


def load_beside(lab: Lab, steps: Steps, swarm_step: Step | None, load: bool,
                title: str = "load lab images into every node") -> list[str]:
    """Load images into every node while ``swarm_step`` runs: they do not depend on each
    other (images are built before, by ``prepare_images``)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(lab.provider.load_images, lab.nodes,
                              list(lab_image_tags(lab.lab_id))) if load else None
        changes = swarm_step(lab, steps) if swarm_step else []
        if loading is not None:
            with steps.step(title):
                loading.result()
    return changes


__all__ = ["engines_ready", "ensure_machines", "ensure_swarm", "form_swarm", "join_new",
           "load_beside", "load_images", "prepare_images", "start_stopped"]
