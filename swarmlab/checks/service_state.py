"""The service helpers labs 04-07 import from here, now in ``services`` and ``times``
(kept so existing imports work)."""

from swarmlab.checks.services import (
    FAILED as FAILED,
)
from swarmlab.checks.services import (
    STARTING as STARTING,
)
from swarmlab.checks.services import (
    failing_reason as failing_reason,
)
from swarmlab.checks.services import (
    in_motion as in_motion,
)
from swarmlab.checks.services import (
    live_tasks as live_tasks,
)
from swarmlab.checks.services import (
    missing_service as missing_service,
)
from swarmlab.checks.services import (
    moved_away as moved_away,
)
from swarmlab.checks.services import (
    per_node as per_node,
)
from swarmlab.checks.services import (
    settled as settled,
)
from swarmlab.checks.services import (
    spread as spread,
)
from swarmlab.checks.services import (
    task_spec as task_spec,
)
from swarmlab.checks.times import (
    created as created,
)
from swarmlab.checks.times import (
    duration as duration,
)
from swarmlab.checks.times import (
    engine_started as engine_started,
)
from swarmlab.checks.times import (
    first_wave as first_wave,
)
from swarmlab.checks.times import (
    most_at_once as most_at_once,
)
from swarmlab.checks.times import (
    running_since as running_since,
)
from swarmlab.checks.times import (
    seconds_text as seconds_text,
)
from swarmlab.checks.times import (
    wait_before as wait_before,
)

