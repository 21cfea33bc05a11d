"""What a check can declare it needs (``register(..., needs=...)``), so that its module
holds only its lab's logic: ``run_check`` asks each requirement in order, and the first
one missing is the verdict (a FAIL naming the fix).

- ``"swarm"`` / ``swarm(hint)``: a swarm that can be managed (else no swarm, no leader,
  or no manager answering); the default hint restarts the lab.
- ``"service:web"``, ``"service:{service}"`` / ``service(name, how, ...)``: that service
  exists, optionally once its tasks settle; the check reads it with ``found_service(ctx)``.
"""

from __future__ import annotations

from collections.abc import Callable

from swarmlab.checks.base import NAMED_NEEDS, CheckContext, CheckResult, Requirement
from swarmlab.checks.common import swarm_problem
from swarmlab.checks.services import in_motion, missing_service, not_running, settled
from swarmlab.i18n import N_, _
from swarmlab.state import ServiceInfo, Snapshot

Text = str | Callable[[CheckContext], str]
Moving = Callable[[CheckContext, Snapshot, str], bool]


def no_swarm_hint(lab: str) -> str:
    """The hint of a lab's checks when there is no swarm: prepare the lab again."""
    return _("this lab needs the swarm: run `lab = swarmlab.start_lab('{lab}')` again"
             ).format(lab=lab)


def _text(value: Text, ctx: CheckContext) -> str:
    """A hint given at import time (marked ``N_``), translated now, or made now."""
    return value(ctx) if callable(value) else _(value).format(**ctx.params)


def swarm(hint: Text | None = None) -> Requirement:
    """A swarm that answers management calls; ``hint`` says how to get one (a ``{param}``
    template marked ``N_``, or a function of the context; default: start the lab again)."""
    def need(ctx: CheckContext) -> CheckResult | None:
        text = _text(hint, ctx) if hint is not None else no_swarm_hint(ctx.lab_id)
        return swarm_problem(ctx, text)
    return need


def _in_motion(ctx: CheckContext, snap: Snapshot, name: str) -> bool:
    return in_motion(snap, name)


_CREATE_FIRST = N_("create it first (see the notebook)")


def service(name: str = "{service}", how: Text = _CREATE_FIRST, *,
            known: tuple[str, ...] = (), settle: bool | Moving = False,
            wait_param: str = "settle_s") -> Requirement:
    """The service ``name`` (``{param}`` names a parameter) exists. ``how`` says how to
    create it (a ``{param}`` template marked ``N_``, or a function of the context);
    ``known`` are the notebook's other services (not a misnamed attempt).
    ``settle``: first wait (at most the ``wait_param`` parameter, seconds) until its tasks
    stop moving (``True``), or until ``settle(ctx, snapshot, name)`` is false."""
    def need(ctx: CheckContext) -> CheckResult | None:
        wanted = name.format(**ctx.params)
        snap = ctx.snapshot
        if settle:
            moving = _in_motion if settle is True else settle
            snap = settled(ctx, float(ctx.params[wait_param]),
                           lambda s: moving(ctx, s, wanted))
        svc = snap.service(wanted)
        if svc is None:
            return missing_service(ctx, snap, wanted, _text(how, ctx), known=known)
        ctx.found["service"] = svc
        return None
    return need


def found_service(ctx: CheckContext) -> ServiceInfo:
    """The service a ``service(...)`` requirement of this check found."""
    svc = ctx.found.get("service")
    if not isinstance(svc, ServiceInfo):
        raise LookupError(f"check {ctx.check_id} reads a service it did not declare: add "
                          "service(...) to its needs")
    return svc


NAMED_NEEDS.update(swarm=lambda arg: swarm(), service=lambda arg: service(arg or "{service}"))


def running(name: str = "{service}") -> Requirement:
    """The service (found by a ``service(...)`` requirement before this one) has a Running
    task; else the FAIL saying why its tasks do not run."""
    def need(ctx: CheckContext) -> CheckResult | None:
        snap, svc = ctx.snapshot, found_service(ctx)
        if snap.tasks_of(name.format(**ctx.params)):
            return None
        return not_running(ctx, snap, svc, svc.replicas)
    return need
