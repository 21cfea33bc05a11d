"""Pictures of the swarm: topology (graphviz), timeline (SVG), a live panel (ipywidgets),
and pictures of Swarm's ideas drawn without a cluster (ideas)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from swarmlab.viz.ideas import idea
from swarmlab.viz.timeline import timeline
from swarmlab.viz.topology import topology

if TYPE_CHECKING:
    from swarmlab.lab import Lab
    from swarmlab.viz.widgets import LivePanel

__all__ = ["idea", "timeline", "topology", "watch"]


def watch(lab: Lab, interval: float = 3.0) -> LivePanel:
    """A live panel of ``lab`` (imports ipywidgets only when asked for)."""
    from swarmlab.viz.widgets import watch as live

    return live(lab, interval=interval)
