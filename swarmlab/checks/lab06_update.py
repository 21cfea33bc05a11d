"""What lab 06's checks read of a service's rolling update: the command that makes it,
whether it is still moving, its state and policy, and when each task of it started."""

from __future__ import annotations

from swarmlab.checks.base import CheckContext
from swarmlab.checks.services import changing
from swarmlab.checks.times import created, running_since, seconds_text
from swarmlab.i18n import _
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo


def create_command(p: dict[str, object]) -> str:
    """The command exercise 06.configured asks for."""
    return (f"docker service create --replicas {p['replicas']} --name {p['service']} "
            f"--update-delay {p['update_delay']} --update-parallelism {p['parallelism']} "
            f"{p['image']}")


def moving(ctx: CheckContext, snap: Snapshot, name: str) -> bool:
    """Whether the service's tasks or update still change by themselves."""
    svc = snap.service(name)
    state = update_state(svc) if svc is not None else ""
    if state in ("paused", "rollback_paused"):
        return False  # nothing changes until someone acts
    if svc is not None and svc.image == ctx.params["broken_image"] and state == "completed":
        return False  # an update that carried on: broken tasks restart for ever
    return changing(snap, name)


def update_state(svc: ServiceInfo) -> str:
    """The update's state ("" when none ran)."""
    return svc.update_status.state if svc.update_status else ""


def failure_action_of(svc: ServiceInfo) -> str:
    """The update's failure action (pause when none is set)."""
    return svc.update_config.failure_action if svc.update_config else "pause"


def update_policy(svc: ServiceInfo) -> dict[str, object]:
    """The update policy as the check's details show it."""
    u = svc.update_config
    if u is None:
        return {}
    return {"parallelism": u.parallelism, "delay": seconds_text(u.delay_s),
            "failure_action": u.failure_action}


def task_times(tasks: tuple[TaskInfo, ...]) -> list[str]:
    """When each task of the update was created and became Running, from the first."""
    ordered = sorted(tasks, key=created)
    t0 = created(ordered[0]) if ordered else 0.0
    out = []
    for t in ordered:
        ran = running_since(t)
        out.append(_("{task}: created {created}, running {running}").format(
            task=f"{t.service}.{t.slot}", created=f"+{created(t) - t0:.1f}s",
            running=f"+{ran - t0:.1f}s" if ran is not None else "-"))
    return out
