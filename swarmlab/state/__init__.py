"""The swarm's state in one read: ``take_snapshot(lab) -> Snapshot``.

Checks and pictures take a Snapshot, so they are unit-tested on snapshots recorded from
real clusters (``Snapshot.to_json`` / ``from_json``) and integration-tested live.
"""

from swarmlab.state import model
from swarmlab.state.fetch import fetch_raw, fetch_script, take_snapshot
from swarmlab.state.model import *  # noqa: F403 - the model's classes (its __all__)
from swarmlab.state.snapshot import Snapshot, parse

__all__ = [*model.__all__, "Snapshot", "fetch_raw", "fetch_script", "parse", "take_snapshot"]
