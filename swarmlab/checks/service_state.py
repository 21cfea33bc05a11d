"""The service helpers labs 04-07 import from here, now in ``services`` and ``times``
(kept so existing imports work)."""

from swarmlab.checks.services import (
    FAILED,
    STARTING,
    failing_reason,
    in_motion,
    live_tasks,
    missing_service,
    moved_away,
    per_node,
    settled,
    spread,
    task_spec,
)
from swarmlab.checks.times import (
    created,
    duration,
    engine_started,
    first_wave,
    most_at_once,
    running_since,
    seconds_text,
    wait_before,
)

__all__ = ["FAILED", "STARTING", "created", "duration", "engine_started", "failing_reason",
           "first_wave", "in_motion", "live_tasks", "missing_service", "most_at_once",
           "moved_away", "per_node", "running_since", "seconds_text", "settled", "spread",
           "task_spec", "wait_before"]
