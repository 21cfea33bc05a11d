"""Lab 06, rolling updates and rollback: the update policy, batches and delays in the
task history, ``docker service rollback``, and a broken update that pauses or carries on.

``update_delay`` is the delay the notebook asks for (the article's ``10s``; the notebook
tests pass a shorter one through ``SWARMLAB_LAB_PARAMS``).
"""

from __future__ import annotations

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.lab06_update import (
    create_command,
    failure_action_of,
    moving,
    task_times,
    update_policy,
    update_state,
)
from swarmlab.checks.requires import found_service, service, swarm
from swarmlab.checks.services import failing_reason, live_tasks
from swarmlab.checks.times import (
    duration,
    first_wave,
    most_at_once,
    seconds_text,
    wait_before,
)
from swarmlab.i18n import N_, _, ngettext
from swarmlab.viz.palette import tag

_PARAMS = {
    "service": "web", "replicas": 4, "parallelism": 2, "update_delay": "10s",
    "image": "swarmlab/web:v1", "new_image": "swarmlab/web:v2",
    "broken_image": "swarmlab/web:broken", "wait_s": 60,
}
_SLACK_S = 0.5  # clocks and polling: a batch may start this much before the delay is up
_ROLL_BACK_THEN = N_("roll back (`docker service rollback {service}`), then {how}")
_HEALTH_WAIT = N_("a broken task needs ~10 s to fail its health check: check again")
_SETTLED = ("paused", "rollback_paused", "completed", "rollback_completed")


# The service, once its tasks and any update under way settle.
_NEEDS = (swarm(), service(how=lambda ctx: _("`{command}` (exercise 06.configured)").format(
    command=create_command(ctx.params)), settle=moving, wait_param="wait_s"))


@register("06.configured", title=N_("A service with an update policy"), lab="06", params=_PARAMS,
          needs=_NEEDS)
def configured(ctx: CheckContext) -> CheckResult:
    svc, p = found_service(ctx), ctx.params
    want_n, want_par = int(p["replicas"]), int(p["parallelism"])
    want_delay = duration(p["update_delay"])
    u = svc.update_config
    par, delay = (u.parallelism, u.delay_s) if u else (1, 0.0)
    details = {"replicas": svc.replicas, "image": svc.image, "update_config": update_policy(svc)}
    def fix(flag: str) -> str:
        return _("`docker service update {flag} {service}` (or remove it and create it "
                 "again)").format(flag=flag, service=svc.name)
    if svc.mode != "replicated":
        return ctx.fail(_("{service} is a {mode} service, not a replicated one.").format(
                            service=svc.name, mode=svc.mode),
                        _("`docker service rm {service}`, then `{command}`").format(
                            service=svc.name, command=create_command(p)), **details)
    if svc.replicas != want_n:
        return ctx.fail(_("{service} has {replicas} replicas instead of {want}.").format(
                            service=svc.name, replicas=svc.replicas, want=want_n),
                        fix(f"--replicas {want_n}"), **details)
    if svc.image != p["image"]:
        return ctx.fail(_("{service} runs {image}; the lab starts from {want}.").format(
                            service=svc.name, image=svc.image, want=p["image"]),
                        fix(f"--image {p['image']}"), **details)
    if par != want_par:
        text = (_("Its update parallelism is {par} (the default), not {want}.") if par == 1
                else _("Its update parallelism is {par} (all at once), not {want}.") if par == 0
                else _("Its update parallelism is {par}, not {want}."))
        return ctx.fail(text.format(par=par, want=want_par),
                        fix(f"--update-parallelism {want_par}"), **details)
    if abs(delay - want_delay) > 0.01:
        return ctx.fail(
            _("Its update delay is {delay}, not {want}.").format(delay=seconds_text(delay),
                                                                 want=p["update_delay"]),
            _("{fix} (a duration needs its unit: 10s, not 10)").format(
                fix=fix(f"--update-delay {p['update_delay']}")), **details)
    running = len(live_tasks(ctx.snapshot, svc.name))
    if running < want_n:
        why = failing_reason(ctx.snapshot, svc.name)
        return ctx.fail(_("Only {running} of its {want} tasks run.").format(running=running,
                                                                           want=want_n),
                        _("its tasks fail: {why}").format(why=why) if why else
                        _("`docker service ps {service}` shows what they are doing").format(
                            service=svc.name), **details)
    return ctx.ok(_("{service}: {n} tasks of {image}; an update replaces {par} at a time and "
                    "waits {delay} between batches.").format(
                      service=svc.name, n=want_n, image=svc.image, par=want_par,
                      delay=p["update_delay"]), **details)


@register("06.updated", title=N_("A rolling update in batches"), lab="06", params=_PARAMS,
          needs=_NEEDS)
def updated(ctx: CheckContext) -> CheckResult:
    svc, p = found_service(ctx), ctx.params
    new, old = str(p["new_image"]), str(p["image"])
    how = f"`docker service update --image {new} {svc.name}`"
    details: dict[str, object] = {"image": svc.image, "update_status": update_state(svc),
                                  "update_config": update_policy(svc)}
    if svc.image == old:
        return ctx.fail(_("{service} still runs {image}.").format(service=svc.name, image=old),
                        how, **details)
    if svc.image != new:
        why = failing_reason(ctx.snapshot, svc.name)
        return ctx.fail(_("{service} asks for {image}, not {want} (wrong image tag?).").format(
                            service=svc.name, image=svc.image, want=new),
                        _("{how} (its tasks fail: {why})").format(how=how, why=why) if why
                        else how, **details)
    live = live_tasks(ctx.snapshot, svc.name)
    on_new = tuple(t for t in live if t.image == new)
    if update_state(svc) in ("paused", "updating") or len(on_new) < int(p["replicas"]):
        msg = svc.update_status.message if svc.update_status else _("not all tasks run")
        return ctx.fail(_("The update has not finished: {n} of {want} tasks run {image} "
                          "({status}).").format(n=len(on_new), want=p["replicas"],
                                                image=tag(new), status=msg),
                        _("wait and check again; if it is paused: `docker service ps "
                          "{service}` shows the failing tasks").format(service=svc.name),
                        **details)
    want_par, want_delay = int(p["parallelism"]), duration(p["update_delay"])
    at_once = most_at_once(on_new)
    first = first_wave(on_new)
    waits = {t.id: wait_before(t, on_new, want_delay - _SLACK_S)
             for t in on_new if t not in first}
    details.update(at_once=at_once, tasks=task_times(on_new))
    redo = _("roll back to {image} (`docker service rollback {service}`) and update "
             "again").format(image=tag(old), service=svc.name)
    then = _("`{command}`, then {redo}")
    if at_once != want_par:
        return ctx.fail(
            ngettext("The update replaced one task at a time: parallelism {n} instead of "
                     "{want}.", "The update replaced {n} tasks at a time: parallelism {n} "
                     "instead of {want}.", at_once).format(n=at_once, want=want_par),
            then.format(command=f"docker service update --update-parallelism {want_par} "
                        f"{svc.name}", redo=redo), **details)
    short = [t for t in on_new if t.id in waits and waits[t.id] is None]
    if short:
        seen = wait_before(short[0], on_new, 0.0) or 0.0
        return ctx.fail(
            _("{task} started {seconds}s after the task before it was running: the update "
              "delay was shorter than {delay}.").format(
                task=f"{short[0].service}.{short[0].slot}", seconds=f"{seen:.1f}",
                delay=p["update_delay"]),
            then.format(command=f"docker service update --update-delay {p['update_delay']} "
                        f"{svc.name}", redo=redo), **details)
    gaps = sorted(w for w in waits.values() if w is not None)
    text = (_("All {n} tasks run {image}. The update replaced {par} at a time.") if not gaps
            else _("All {n} tasks run {image}. The update replaced {par} at a time, and started "
                   "each next task {low}s after the one before it was running (update delay "
                   "{delay}).") if gaps[-1] - gaps[0] < 0.1
            else _("All {n} tasks run {image}. The update replaced {par} at a time, and started "
                   "each next task {low}s to {high}s after the one before it was running "
                   "(update delay {delay})."))
    return ctx.ok(text.format(n=len(on_new), image=tag(new), par=want_par,
                              low=f"{gaps[0]:.1f}" if gaps else "",
                              high=f"{gaps[-1]:.1f}" if gaps else "", delay=p["update_delay"]),
                  **details)


@register("06.failure-action", title=N_("A failed update pauses"), lab="06", params=_PARAMS,
          needs=_NEEDS)
def failurefailure_action_of(ctx: CheckContext) -> CheckResult:
    svc, broken = found_service(ctx), str(ctx.params["broken_image"])
    action, state = failure_action_of(svc), update_state(svc)
    how = f"`docker service update --update-failure-action pause --image {broken} {svc.name}`"
    details = {"image": svc.image, "update_status": state, "update_config": update_policy(svc)}
    tried = any(t.image == broken for t in ctx.snapshot.tasks_of(svc.name, running=False))
    by_hand = svc.previous_image == broken  # an automatic rollback leaves no previous spec
    if action == "rollback" or (state.startswith("rollback") and tried and not by_hand):
        return ctx.fail(
            _("The failure action is rollback: the swarm undid the broken update by itself, "
              "so nothing is paused."), how, **details)
    if state.startswith("rollback") and by_hand:
        return ctx.fail(_("The broken update was rolled back already ({state}).").format(
                            state=state),
                        _("to see it pause, run it again: {how}").format(how=how), **details)
    if svc.image != broken:
        return ctx.fail(_("{service} runs {image}, not the broken image {broken}.").format(
                            service=svc.name, image=svc.image, broken=broken), how, **details)
    if action == "continue":
        return ctx.fail(
            _("The failure action is continue: the update went on past the failing tasks "
              "({state}).").format(state=state or _("no status")),
            _(_ROLL_BACK_THEN).format(service=svc.name, how=how), **details)
    if state != "paused":
        msg = svc.update_status.message if svc.update_status else _("no update status")
        return ctx.fail(_("The update is not paused ({state}: {message}).").format(
                            state=state or _("none"), message=msg), _(_HEALTH_WAIT), **details)
    if not ctx.ran(r"\bdocker\s+service\s+(update|create)\s.*--update-failure-action[\s=]+"
                   r"[\"']?pause\b", failed_too=True):
        return ctx.fail(
            _("The update paused, but only because pause is the default failure action: no "
              "command that sets `--update-failure-action pause` is recorded."),
            _("give the failure action explicitly: roll back (`docker service rollback "
              "{service}`), then {how}").format(service=svc.name, how=how), **details)
    good = [t for t in live_tasks(ctx.snapshot, svc.name) if t.image != broken]
    return ctx.ok(
        _("The update to {image} is paused after its first batch failed; {n} task(s) still "
          "run the old image, so the service keeps answering.").format(image=tag(broken),
                                                                       n=len(good)), **details)


@register("06.rollback", title=N_("Roll back to v1"), lab="06", params=_PARAMS,
          needs=_NEEDS)
def rollback(ctx: CheckContext) -> CheckResult:
    svc, p = found_service(ctx), ctx.params
    old = str(p["image"])
    how = f"`docker service rollback {svc.name}`"
    state = update_state(svc)
    live = live_tasks(ctx.snapshot, svc.name)
    details = {"image": svc.image, "previous_image": svc.previous_image,
               "update_status": state, "tasks": [t.image for t in live]}
    if svc.image != old:
        return ctx.fail(_("{service} runs {image}, not {want}.").format(
                            service=svc.name, image=svc.image, want=old),
                        _("{how} (it returns to the image before the last update)").format(
                            how=how) if svc.previous_image != old else how, **details)
    if not state.startswith("rollback"):
        return ctx.fail(
            (_("{service} is on {image}, but through a new update, not a rollback.") if state
             else _("{service} is on {image}, but through no update at all: it was never "
                    "updated (exercise 06.updated).")).format(service=svc.name, image=old),
            _("update it to {image} (06.updated), then {how}").format(image=p["new_image"],
                                                                     how=how), **details)
    if state != "rollback_completed" or any(t.image != old for t in live) \
            or len(live) < int(p["replicas"]):
        msg = svc.update_status.message if svc.update_status else ""
        return ctx.fail(_("The rollback has not finished ({state}: {message}).").format(
                            state=state, message=msg),
                        _("wait a few seconds and check again"), **details)
    return ctx.ok(_("{service} rolled back: all {n} tasks run {image} again (it was on "
                    "{previous}).").format(service=svc.name, n=len(live), image=tag(old),
                                           previous=tag(svc.previous_image or "?")), **details)


@register("06.continue", title=N_("A failed update that carries on"), lab="06", params=_PARAMS,
          needs=_NEEDS)
def carry_on(ctx: CheckContext) -> CheckResult:
    svc, broken, par = found_service(ctx), str(ctx.params["broken_image"]), int(
        ctx.params["parallelism"])
    action, state = failure_action_of(svc), update_state(svc)
    how = (f"`docker service update -d --update-failure-action continue --image {broken} "
           f"{svc.name}`")
    redo = _(_ROLL_BACK_THEN).format(service=svc.name, how=how)
    tasks = ctx.snapshot.tasks_of(svc.name, running=False)
    tried = sorted({t.slot for t in tasks if t.image == broken and t.slot is not None})
    # A task of a service that should run and "completes" has exited: a failure too.
    failed = [t for t in tasks if t.image == broken and (
        t.state in ("failed", "rejected", "complete") or t.error)]
    details = {"image": svc.image, "update_status": state, "update_config": update_policy(svc),
               "slots_on_broken": tried, "failed_tasks": len(failed)}
    if svc.image != broken:
        text = (_("{service} runs {image}, not the broken image {broken}. The failure action "
                  "is continue, but nothing failed: the update needs the broken image.")
                if action == "continue" else
                _("{service} runs {image}, not the broken image {broken}."))
        return ctx.fail(text.format(service=svc.name, image=svc.image, broken=broken), how,
                        **details)
    if action != "continue":
        did = {"pause": _("the update stopped at the first batch that failed"),
               "rollback": _("the swarm undid the update by itself")}.get(action, "")
        return ctx.fail(_("The failure action is {action}, not continue: {did}.").format(
                            action=action, did=did or action), redo, **details)
    if not failed:
        return ctx.fail(_("No task of the broken image has failed yet, so the update has not "
                          "been tested by a failure."), _(_HEALTH_WAIT), **details)
    if len(tried) <= par:
        return ctx.fail(
            _("Only {n} task slot(s) got {image}: the update has not gone past its first "
              "batch of {par} ({state}).").format(n=len(tried), image=tag(broken), par=par,
                                                  state=state or _("no status")),
            _("it moves on after each batch's monitor period (~5 s plus the update delay): "
              "check again in a few seconds"), **details)
    return ctx.ok(
        _("The update went on past failed tasks: {n} slots got {image} although {failed} of "
          "its tasks failed (failure action continue, update {state}). The service now runs "
          "broken tasks only: continue trusts you to watch.").format(
            n=len(tried), image=tag(broken), failed=len(failed), state=state), **details)
