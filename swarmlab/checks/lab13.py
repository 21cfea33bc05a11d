"""Lab 13, health checks and updates that do not drop requests: a health command, the
client's own tally of failed requests during a stop-first and a start-first update, and
a broken update the swarm rolls back by itself.

The client task (``swarmlab/tools`` running ``CLIENT_LOOP``) requests ``http://web/``
ten times a second and keeps ``since=EPOCH ok=N fail=M`` in ``/tmp/counts``, restarted
from zero when ``/tmp/reset`` appears (the notebook's ``requests reset``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from swarmlab.checks.base import CheckContext, CheckResult, register
from swarmlab.checks.common import needs
from swarmlab.checks.requires import no_swarm_hint
from swarmlab.checks.service_state import created, duration, seconds_text
from swarmlab.checks.services import changing, settled, update_under_way
from swarmlab.checks.workload import (
    in_task,
    lab_node,
    not_running,
    parse_time,
    settled_service,
)
from swarmlab.i18n import N_, _
from swarmlab.state import ServiceInfo, Snapshot

_PARAMS = {"service": "web", "client": "client", "network": "appnet", "replicas": 1,
           "interval": "2s", "image": "swarmlab/web:v1", "new_image": "swarmlab/web:v2",
           "broken_image": "swarmlab/web:broken", "settle_s": 60}
HEALTH_CMD = "wget -q -O /dev/null http://127.0.0.1/health || exit 1"
CLIENT_LOOP = (
    "mkdir -p /tmp; ok=0; fail=0; since=$(date +%s); while :; do "
    "if [ -e /tmp/reset ]; then rm -f /tmp/reset; ok=0; fail=0; since=$(date +%s); fi; "
    "if timeout 5 wget -q -O /dev/null http://web/ 2>/dev/null; then ok=$((ok+1)); "
    "else fail=$((fail+1)); fi; "
    "echo \"since=$since ok=$ok fail=$fail\" > /tmp/counts.new; mv /tmp/counts.new /tmp/counts; "
    "sleep 0.1; done")
_COUNTS = re.compile(r"since=(\d+) ok=(\d+) fail=(\d+)")
Found = tuple[Snapshot, ServiceInfo]


def create_command(p: dict[str, object]) -> str:
    """The command exercise 13.health asks for."""
    return (f"docker service create --name {p['service']} --replicas {p['replicas']} "
            f"--network {p['network']} --endpoint-mode dnsrr --health-cmd '{HEALTH_CMD}' "
            f"--health-interval {p['interval']} {p['image']}")


def _web(ctx: CheckContext) -> Found | CheckResult:
    return settled_service(ctx, str(ctx.params["service"]), f"`{create_command(ctx.params)}`",
                           no_swarm_hint("13"))


def healthcheck(snap: Snapshot, svc: ServiceInfo) -> dict[str, Any]:
    """The service's own health check (``--health-*``), {} when it keeps the image's."""
    for raw in (snap.raw.get("services") or {}).get("body") or []:
        if raw.get("ID") == svc.id:
            spec = ((raw.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}
            return dict(spec.get("Healthcheck") or {})
    return {}


# ----- 13.health --------------------------------------------------------------------------
@register("13.health", title=N_("A service with its own health check"), lab="13", params=_PARAMS)
@needs(_web)
def health(ctx: CheckContext, found: Found) -> CheckResult:
    snap, svc = found
    p = ctx.params
    redo = _("`docker service rm {service}`, then `{command}`").format(
        service=svc.name, command=create_command(p))
    hc = healthcheck(snap, svc)
    test = [str(x) for x in hc.get("Test") or []]
    interval = float(hc.get("Interval") or 0) / 1e9
    details = {"endpoint_mode": svc.endpoint_mode, "networks": list(svc.networks),
               "health_test": test, "health_interval": seconds_text(interval)}
    if svc.endpoint_mode != "dnsrr":
        return ctx.fail(
            _("{service} uses endpoint mode {mode}: its virtual IP needs the kernel's IPVS, "
              "which this host lacks, so every request would fail.").format(
                service=svc.name, mode=svc.endpoint_mode), redo,
            **details)
    if str(p["network"]) not in svc.networks:
        return ctx.fail(_("{service} is not on {network}, so the client cannot reach "
                          "it.").format(service=svc.name, network=p["network"]),
                        f"`docker service update --network-add {p['network']} {svc.name}`",
                        **details)
    if test[:1] == ["NONE"]:
        return ctx.fail(_("{service}'s health check is switched off (--no-healthcheck).").format(
                            service=svc.name), redo, **details)
    if not test:
        return ctx.fail(
            _("{service} keeps the image's HEALTHCHECK: you gave no --health-cmd of your "
              "own.").format(service=svc.name),
            f"`docker service update --health-cmd '{HEALTH_CMD}' --health-interval "
            f"{p['interval']} {svc.name}`", **details)
    want = duration(p["interval"])
    if abs(interval - want) > 0.01:
        every = seconds_text(interval) if interval else _("30s (the default)")
        return ctx.fail(_("The health check runs every {every}, not {want}.").format(
                            every=every, want=p["interval"]),
                        f"`docker service update --health-interval {p['interval']} "
                        f"{svc.name}`", **details)
    running = snap.tasks_of(svc.name)
    if len(running) != int(p["replicas"]):
        return not_running(ctx, snap, svc, int(p["replicas"]))
    status = [ctx.probe(lab_node(ctx, t.node) or t.node, "docker inspect -f "
                        f"'{{{{.State.Health.Status}}}}' {t.container_id[:12]}").stdout.strip()
              for t in running]
    details.update(health=status)
    if any(s != "healthy" for s in status):
        return ctx.fail(_("Not every task is healthy yet ({status}).").format(
                            status=", ".join(status)),
                        _("wait a few seconds and check again"), **details)
    return ctx.ok(_("{service} checks its own health every {interval} (`{command}`), and its "
                    "task is healthy; clients find it by DNS (dnsrr).").format(
                      service=svc.name, interval=p["interval"], command=" ".join(test[1:])),
                  **details)


# ----- the client's tally -----------------------------------------------------------------
def tally(ctx: CheckContext, snap: Snapshot) -> tuple[int, int, int] | CheckResult:
    """(since, ok, fail) from the client's /tmp/counts, or the FAIL saying what is wrong."""
    name = str(ctx.params["client"])
    tasks = snap.tasks_of(name)
    if not tasks:
        return ctx.fail(_("The client service {name} does not run.").format(name=name),
                        _("run the cell that creates it (under \"A client that keeps "
                          "asking\")"))
    res = in_task(ctx, tasks[0], "cat /tmp/counts")
    m = _COUNTS.search(res.stdout)
    if m is None:
        return ctx.fail(_("The client keeps no tally ({why}).").format(
                            why=res.stderr.strip()[:80] or _("no counts")),
                        _("remove the client and run the cell that creates it again"))
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def _update(ctx: CheckContext, found: Found, order: str, image: str,
            before: str) -> CheckResult | tuple[int, int, float]:
    """The common part of 13.stop-first and 13.start-first: (ok, fail, seconds) or a FAIL."""
    snap, svc = found
    how = _("`requests reset`, then `docker service update --update-order {order} --image "
            "{image} {service}`, then `requests count`").format(order=order, image=image,
                                                                 service=svc.name)
    u, us = svc.update_config, svc.update_status
    details = {"image": svc.image, "order": u.order if u else "stop-first",
               "update_status": us.state if us else ""}
    if svc.image != image:
        return ctx.fail((_("{service} runs {image}, not {want} (do this after {before}).")
                         if svc.image != before else
                         _("{service} runs {image}, not {want}.")).format(
                            service=svc.name, image=svc.image, want=image, before=before),
                        how, **details)
    if us is None or us.state == "rollback_completed":
        return ctx.fail((_("{service} got {image} without an update (a rollback).") if us else
                         _("{service} got {image} without an update.")).format(
                            service=svc.name, image=image), how, **details)
    if (u.order if u else "stop-first") != order:
        return ctx.fail(_("The update order is {order}, not {want}.").format(
                            order=u.order if u else "stop-first", want=order), how, **details)
    if us.state != "completed":
        return ctx.fail(_("The update has not finished ({state}: {message}).").format(
                            state=us.state, message=us.message),
                        _("wait and check again"), **details)
    counted = tally(ctx, snap)
    if isinstance(counted, CheckResult):
        return counted
    since, ok, fail = counted
    began = parse_time(us.started_at)
    tasks = snap.tasks_of(svc.name, running=False)
    started = min((created(t) for t in tasks if t.image == image and created(t) >= began - 1),
                  default=began)
    if since > started + 1:
        return ctx.fail(_("The client's tally restarted after the update began, so it missed "
                          "part of it."), how, since=since, update_started=started, **details)
    old = [t for t in tasks if t.image == before and created(t) < began]
    if old and since < min(created(t) for t in old) - 1:
        return ctx.fail(_("The client's tally was not reset before the update: it also counts "
                          "what came before."), how, **details)
    return ok, fail, parse_time(us.completed_at) - parse_time(us.started_at)


Verdict = Callable[[CheckContext, Found, int, int], CheckResult]


def _tally(ctx: CheckContext, found: Found, order: str, verdict: Verdict) -> CheckResult:
    """The client's (answered, failed) count of the update in ``order``, judged by
    ``verdict``: stop-first goes to the new image, start-first back to the first one."""
    new, old = str(ctx.params["new_image"]), str(ctx.params["image"])
    got = _update(ctx, found, order, *((new, old) if order == "stop-first" else (old, new)))
    return got if isinstance(got, CheckResult) else verdict(ctx, found, got[0], got[1])


@register("13.stop-first", title=N_("A stop-first update drops requests"), lab="13",
          params=_PARAMS)
@needs(_web)
def stop_first(ctx: CheckContext, found: Found) -> CheckResult:
    return _tally(ctx, found, "stop-first", _some_dropped)


def _some_dropped(ctx: CheckContext, found: Found, ok: int, fail: int) -> CheckResult:
    if fail == 0:
        return ctx.fail(_("The client counted {ok} answers and no failure: with {replicas} "
                          "replica(s) the stop-first update left a gap nobody saw.").format(
                            ok=ok, replicas=found[1].replicas),
                        _("scale {service} to 1 replica and update again").format(
                            service=found[1].name), ok=ok)
    return ctx.ok(_("During the stop-first update, {fail} of {total} requests failed (the "
                    "client's own count): the old task stopped before the new one was "
                    "up.").format(fail=fail, total=ok + fail), ok=ok, failed=fail)


@register("13.start-first", title=N_("A start-first update drops none"), lab="13",
          params=_PARAMS)
@needs(_web)
def start_first(ctx: CheckContext, found: Found) -> CheckResult:
    return _tally(ctx, found, "start-first", _none_dropped)


def _none_dropped(ctx: CheckContext, found: Found, ok: int, fail: int) -> CheckResult:
    if fail:
        return ctx.fail(_("{fail} of {total} requests failed during the start-first "
                          "update.").format(fail=fail, total=ok + fail),
                        _("is the tally from this update? `requests reset`, then update again "
                          "(back to v2, then to v1)"), ok=ok, failed=fail)
    return ctx.ok(_("During the start-first update, 0 of {ok} requests failed (the client's own "
                    "count): the new task was healthy before the old one stopped.").format(ok=ok),
                  ok=ok, failed=0)


# ----- 13.auto-rollback -------------------------------------------------------------------
@register("13.auto-rollback", title=N_("A broken update rolls itself back"), lab="13",
          params=_PARAMS)
@needs(_web)
def auto_rollback(ctx: CheckContext, found: Found) -> CheckResult:
    snap, svc = found
    name = svc.name
    if update_under_way(snap, name):
        # the tasks have settled, the rollback (or update) has not: it ends after its
        # monitor window, with the new task running and nothing else moving
        snap = settled(ctx, float(ctx.params["settle_s"]), lambda s: changing(s, name))
        svc = snap.service(name) or svc
    broken, good = str(ctx.params["broken_image"]), str(ctx.params["image"])
    how = (f"`docker service update --update-failure-action rollback --update-monitor 5s "
           f"--update-max-failure-ratio 0 --image {broken} {svc.name}`")
    u, us = svc.update_config, svc.update_status
    state = us.state if us else ""
    details = {"image": svc.image, "update_status": state,
               "failure_action": u.failure_action if u else "pause"}
    tried = any(t.image == broken for t in snap.tasks_of(svc.name, running=False))
    if not tried:
        return ctx.fail(_("No task of {image} was ever started: the update did not "
                          "happen.").format(image=broken), how, **details)
    rollback_then = _("`docker service rollback {service}`, then {how}").format(
        service=svc.name, how=how)
    if state == "paused" or (u is not None and u.failure_action == "pause"
                             and svc.image == broken):
        return ctx.fail(_("The update paused on the broken tasks: the failure action is pause, "
                          "the default."), rollback_then, **details)
    if u is not None and u.failure_action == "continue":
        return ctx.fail(_("The failure action is continue: the update went on with broken "
                          "tasks."), rollback_then, **details)
    if state.startswith("rollback") and svc.previous_image == broken:
        return ctx.fail(_("You rolled back by hand (`docker service rollback`); the swarm was "
                          "to do it by itself."), how, **details)
    if state != "rollback_completed" or svc.image != good:
        return ctx.fail(_("The rollback has not finished ({state}).").format(
                            state=state or _("no update")),
                        _("a broken task needs a few seconds to fail: check again"), **details)
    return ctx.ok(_("The update to {image} failed its health checks, and the swarm rolled "
                    "{service} back to {good} by itself.").format(image=broken,
                                                                  service=svc.name, good=good),
                  **details)
