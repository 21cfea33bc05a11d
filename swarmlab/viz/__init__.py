"""Pictures of the swarm: topology (graphviz), timeline (SVG), a live panel (ipywidgets)."""

from swarmlab.viz.timeline import timeline
from swarmlab.viz.topology import topology

__all__ = ["timeline", "topology", "watch"]


def watch(lab: object, interval: float = 3.0) -> object:
    """A live panel of ``lab`` (imports ipywidgets only when asked for)."""
    from swarmlab.viz.widgets import watch as live

    return live(lab, interval=interval)
