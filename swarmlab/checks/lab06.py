"""Lab 06, rolling updates and rollback: the update policy, batches and delays in the
task history, ``docker service rollback``, and a broken update that pauses or carries on.

``update_delay`` is the delay the notebook asks for (the article's ``10s``; the notebook
tests pass a shorter one through ``SWARMLAB_LAB_PARAMS``).
"""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.requires import found_service, service, swarm
from swarmlab.checks.services import failing_reason, in_motion, live_tasks
from swarmlab.checks.times import (
    created,
    duration,
    first_wave,
    most_at_once,
    running_since,
    seconds_text,
    wait_before,
)
from swarmlab.state import ServiceInfo, Snapshot, TaskInfo
from swarmlab.viz.palette import tag

_PARAMS = {
    "service": "web", "replicas": 4, "parallelism": 2, "update_delay": "10s",
    "image": "swarmlab/web:v1", "new_image": "swarmlab/web:v2",
    "broken_image": "swarmlab/web:broken", "wait_s": 60,
}
_SLACK_S = 0.5  # clocks and polling: a batch may start this much before the delay is up
_SETTLED = ("paused", "rollback_paused", "completed", "rollback_completed")


def create_command(p: dict[str, object]) -> str:
    """The command exercise 06.configured asks for."""
    return (f"docker service create --replicas {p['replicas']} --name {p['service']} "
            f"--update-delay {p['update_delay']} --update-parallelism {p['parallelism']} "
            f"{p['image']}")


def _moving(ctx: CheckContext, snap: Snapshot, name: str) -> bool:
    svc = snap.service(name)
    state = svc.update_status.state if svc is not None and svc.update_status else ""
    if state in ("paused", "rollback_paused"):
        return False  # nothing changes until someone acts
    if svc is not None and svc.image == ctx.params["broken_image"] and state == "completed":
        return False  # an update that carried on: broken tasks restart for ever
    return state in ("updating", "rollback_started") or in_motion(snap, name)


# The service, once its tasks and any update under way settle.
_NEEDS = (swarm(), service(how=lambda ctx: f"`{create_command(ctx.params)}` "
                           "(exercise 06.configured)", settle=_moving, wait_param="wait_s"))


def _state(svc: ServiceInfo) -> str:
    return svc.update_status.state if svc.update_status else ""


def _action(svc: ServiceInfo) -> str:
    """The update's failure action (pause when none is set)."""
    return svc.update_config.failure_action if svc.update_config else "pause"


def _policy(svc: ServiceInfo) -> dict[str, object]:
    u = svc.update_config
    if u is None:
        return {}
    return {"parallelism": u.parallelism, "delay": seconds_text(u.delay_s),
            "failure_action": u.failure_action}


@register("06.configured", title="A service with an update policy", lab="06", params=_PARAMS,
          needs=_NEEDS)
def configured(ctx: CheckContext) -> CheckResult:
    svc, p = found_service(ctx), ctx.params
    want_n, want_par = int(p["replicas"]), int(p["parallelism"])
    want_delay = duration(p["update_delay"])
    u = svc.update_config
    par, delay = (u.parallelism, u.delay_s) if u else (1, 0.0)
    details = {"replicas": svc.replicas, "image": svc.image, "update_config": _policy(svc)}
    fix = f"`docker service update {{}} {svc.name}` (or remove it and create it again)"
    if svc.mode != "replicated":
        return ctx.fail(f"{svc.name} is a {svc.mode} service, not a replicated one.",
                        f"`docker service rm {svc.name}`, then `{create_command(p)}`", **details)
    if svc.replicas != want_n:
        return ctx.fail(f"{svc.name} has {svc.replicas} replicas instead of {want_n}.",
                        fix.format(f"--replicas {want_n}"), **details)
    if svc.image != p["image"]:
        return ctx.fail(f"{svc.name} runs {svc.image}; the lab starts from {p['image']}.",
                        fix.format(f"--image {p['image']}"), **details)
    if par != want_par:
        default = " (the default)" if par == 1 else " (all at once)" if par == 0 else ""
        return ctx.fail(f"Its update parallelism is {par}{default}, not {want_par}.",
                        fix.format(f"--update-parallelism {want_par}"), **details)
    if abs(delay - want_delay) > 0.01:
        return ctx.fail(
            f"Its update delay is {seconds_text(delay)}, not {p['update_delay']}.",
            fix.format(f"--update-delay {p['update_delay']}") +
            " (a duration needs its unit: 10s, not 10)", **details)
    running = len(live_tasks(ctx.snapshot, svc.name))
    if running < want_n:
        why = failing_reason(ctx.snapshot, svc.name)
        return ctx.fail(f"Only {running} of its {want_n} tasks run.",
                        f"its tasks fail: {why}" if why else
                        f"`docker service ps {svc.name}` shows what they are doing", **details)
    return ctx.ok(f"{svc.name}: {want_n} tasks of {svc.image}; an update replaces "
                  f"{want_par} at a time and waits {p['update_delay']} between batches.",
                  **details)


def _times(tasks: tuple[TaskInfo, ...]) -> list[str]:
    """When each task of the update was created and became Running, from the first."""
    ordered = sorted(tasks, key=created)
    t0 = created(ordered[0]) if ordered else 0.0
    out = []
    for t in ordered:
        ran = running_since(t)
        out.append(f"{t.service}.{t.slot}: created +{created(t) - t0:.1f}s, running "
                   + (f"+{ran - t0:.1f}s" if ran is not None else "-"))
    return out


@register("06.updated", title="A rolling update in batches", lab="06", params=_PARAMS,
          needs=_NEEDS)
def updated(ctx: CheckContext) -> CheckResult:
    svc, p = found_service(ctx), ctx.params
    new, old = str(p["new_image"]), str(p["image"])
    how = f"`docker service update --image {new} {svc.name}`"
    details: dict[str, object] = {"image": svc.image, "update_status": _state(svc),
                                  "update_config": _policy(svc)}
    if svc.image == old:
        return ctx.fail(f"{svc.name} still runs {old}.", how, **details)
    if svc.image != new:
        return ctx.fail(f"{svc.name} asks for {svc.image}, not {new} (wrong image tag?).",
                        how + (f" (its tasks fail: {failing_reason(ctx.snapshot, svc.name)})"
                               if failing_reason(ctx.snapshot, svc.name) else ""), **details)
    live = live_tasks(ctx.snapshot, svc.name)
    on_new = tuple(t for t in live if t.image == new)
    if _state(svc) in ("paused", "updating") or len(on_new) < int(p["replicas"]):
        msg = svc.update_status.message if svc.update_status else "not all tasks run"
        return ctx.fail(f"The update has not finished: {len(on_new)} of {p['replicas']} tasks "
                        f"run {tag(new)} ({msg}).",
                        "wait and check again; if it is paused: "
                        f"`docker service ps {svc.name}` shows the failing tasks", **details)
    want_par, want_delay = int(p["parallelism"]), duration(p["update_delay"])
    at_once = most_at_once(on_new)
    first = first_wave(on_new)
    waits = {t.id: wait_before(t, on_new, want_delay - _SLACK_S)
             for t in on_new if t not in first}
    details.update(at_once=at_once, tasks=_times(on_new))
    redo = f"roll back to {tag(old)} (`docker service rollback {svc.name}`) and update again"
    if at_once != want_par:
        what = "one task" if at_once == 1 else f"{at_once} tasks"
        return ctx.fail(
            f"The update replaced {what} at a time: parallelism {at_once} instead of "
            f"{want_par}.",
            f"`docker service update --update-parallelism {want_par} {svc.name}`, then "
            + redo, **details)
    short = [t for t in on_new if t.id in waits and waits[t.id] is None]
    if short:
        seen = wait_before(short[0], on_new, 0.0) or 0.0
        return ctx.fail(
            f"{short[0].service}.{short[0].slot} started {seen:.1f}s after the task before "
            f"it was running: the update delay was shorter than {p['update_delay']}.",
            f"`docker service update --update-delay {p['update_delay']} {svc.name}`, then "
            + redo, **details)
    gaps = sorted(w for w in waits.values() if w is not None)
    spacing = "" if not gaps else (
        f", and started each next task {gaps[0]:.1f}s"
        + (f" to {gaps[-1]:.1f}s" if gaps[-1] - gaps[0] >= 0.1 else "")
        + f" after the one before it was running (update delay {p['update_delay']})")
    return ctx.ok(f"All {len(on_new)} tasks run {tag(new)}. The update replaced {want_par} "
                  f"at a time{spacing}.", **details)


@register("06.failure-action", title="A failed update pauses", lab="06", params=_PARAMS,
          needs=_NEEDS)
def failure_action(ctx: CheckContext) -> CheckResult:
    svc, broken = found_service(ctx), str(ctx.params["broken_image"])
    action, state = _action(svc), _state(svc)
    how = f"`docker service update --update-failure-action pause --image {broken} {svc.name}`"
    details = {"image": svc.image, "update_status": state, "update_config": _policy(svc)}
    tried = any(t.image == broken for t in ctx.snapshot.tasks_of(svc.name, running=False))
    by_hand = svc.previous_image == broken  # an automatic rollback leaves no previous spec
    if action == "rollback" or (state.startswith("rollback") and tried and not by_hand):
        return ctx.fail(
            "The failure action is rollback: the swarm undid the broken update by itself, "
            "so nothing is paused.", how, **details)
    if state.startswith("rollback") and by_hand:
        return ctx.fail(f"The broken update was rolled back already ({state}).",
                        f"to see it pause, run it again: {how}", **details)
    if svc.image != broken:
        return ctx.fail(f"{svc.name} runs {svc.image}, not the broken image {broken}.",
                        how, **details)
    if action == "continue":
        return ctx.fail(
            "The failure action is continue: the update went on past the failing tasks "
            f"({state or 'no status'}).",
            f"roll back (`docker service rollback {svc.name}`), then {how}", **details)
    if state != "paused":
        msg = svc.update_status.message if svc.update_status else "no update status"
        return ctx.fail(f"The update is not paused ({state or 'none'}: {msg}).",
                        "a broken task needs ~10 s to fail its health check: check again",
                        **details)
    if not ctx.ran(r"\bdocker\s+service\s+(update|create)\s.*--update-failure-action[\s=]+"
                   r"[\"']?pause\b", failed_too=True):
        return ctx.fail(
            "The update paused, but only because pause is the default failure action: no "
            "command that sets `--update-failure-action pause` is recorded.",
            f"give the failure action explicitly: roll back (`docker service rollback "
            f"{svc.name}`), then {how}", **details)
    good = [t for t in live_tasks(ctx.snapshot, svc.name) if t.image != broken]
    return ctx.ok(
        f"The update to {tag(broken)} is paused after its first batch failed; {len(good)} "
        f"task(s) still run the old image, so the service keeps answering.", **details)


@register("06.rollback", title="Roll back to v1", lab="06", params=_PARAMS,
          needs=_NEEDS)
def rollback(ctx: CheckContext) -> CheckResult:
    svc, p = found_service(ctx), ctx.params
    old = str(p["image"])
    how = f"`docker service rollback {svc.name}`"
    state = _state(svc)
    live = live_tasks(ctx.snapshot, svc.name)
    details = {"image": svc.image, "previous_image": svc.previous_image,
               "update_status": state, "tasks": [t.image for t in live]}
    if svc.image != old:
        return ctx.fail(f"{svc.name} runs {svc.image}, not {old}.",
                        how + (" (it returns to the image before the last update)"
                               if svc.previous_image != old else ""), **details)
    if not state.startswith("rollback"):
        return ctx.fail(
            f"{svc.name} is on {old}, but through "
            + ("a new update, not a rollback." if state else "no update at all: it was "
               "never updated (exercise 06.updated)."),
            f"update it to {p['new_image']} (06.updated), then {how}", **details)
    if state != "rollback_completed" or any(t.image != old for t in live) \
            or len(live) < int(p["replicas"]):
        msg = svc.update_status.message if svc.update_status else ""
        return ctx.fail(f"The rollback has not finished ({state}: {msg}).",
                        "wait a few seconds and check again", **details)
    return ctx.ok(f"{svc.name} rolled back: all {len(live)} tasks run {tag(old)} again "
                  f"(it was on {tag(svc.previous_image or '?')}).", **details)


@register("06.continue", title="A failed update that carries on", lab="06", params=_PARAMS,
          needs=_NEEDS)
def carry_on(ctx: CheckContext) -> CheckResult:
    svc, broken, par = found_service(ctx), str(ctx.params["broken_image"]), int(
        ctx.params["parallelism"])
    action, state = _action(svc), _state(svc)
    how = (f"`docker service update -d --update-failure-action continue --image {broken} "
           f"{svc.name}`")
    redo = f"roll back (`docker service rollback {svc.name}`), then {how}"
    tasks = ctx.snapshot.tasks_of(svc.name, running=False)
    tried = sorted({t.slot for t in tasks if t.image == broken and t.slot is not None})
    # A task of a service that should run and "completes" has exited: a failure too.
    failed = [t for t in tasks if t.image == broken and (
        t.state in ("failed", "rejected", "complete") or t.error)]
    details = {"image": svc.image, "update_status": state, "update_config": _policy(svc),
               "slots_on_broken": tried, "failed_tasks": len(failed)}
    if svc.image != broken:
        what = (" The failure action is continue, but nothing failed: the update needs the "
                "broken image." if action == "continue" else "")
        return ctx.fail(f"{svc.name} runs {svc.image}, not the broken image {broken}.{what}",
                        how, **details)
    if action != "continue":
        did = {"pause": "the update stopped at the first batch that failed",
               "rollback": "the swarm undid the update by itself"}.get(action, "")
        return ctx.fail(f"The failure action is {action}, not continue: {did or action}.",
                        redo, **details)
    if not failed:
        return ctx.fail("No task of the broken image has failed yet, so the update has not "
                        "been tested by a failure.",
                        "a broken task needs ~10 s to fail its health check: check again",
                        **details)
    if len(tried) <= par:
        return ctx.fail(
            f"Only {len(tried)} task slot(s) got {tag(broken)}: the update has not gone past "
            f"its first batch of {par} ({state or 'no status'}).",
            "it moves on after each batch's monitor period (~5 s plus the update delay): "
            "check again in a few seconds", **details)
    return ctx.ok(
        f"The update went on past failed tasks: {len(tried)} slots got {tag(broken)} although "
        f"{len(failed)} of its tasks failed (failure action continue, update {state}). The "
        "service now runs broken tasks only: continue trusts you to watch.", **details)
