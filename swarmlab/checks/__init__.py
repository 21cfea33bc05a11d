"""Exercise checks: ``lab.check("01.init")`` or ``swarmlab.check("01.init")``.

Each ``labNN.py`` module registers its checks with ``@register``; they are found here
by name, so adding a lab's checks is adding its module.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import pkgutil
import re
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from swarmlab import records
from swarmlab.checks.base import (
    REGISTRY,
    CheckContext,
    CheckResult,
    CheckSpec,
    Report,
    Status,
    register,
    run_check,
)
from swarmlab.checks.requires import service, swarm
from swarmlab.errors import SpecError

if TYPE_CHECKING:
    from swarmlab.lab import Lab
    from swarmlab.state import Snapshot

__all__ = [
    "CheckContext",
    "CheckResult",
    "CheckSpec",
    "Report",
    "Status",
    "list_checks",
    "register",
    "run_checks",
    "service",
    "swarm",
]

_LOADED = False


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if re.fullmatch(r"lab\d\d", mod.name):
            importlib.import_module(f"{__name__}.{mod.name}")
    _LOADED = True


def list_checks(lab: str | None = None) -> list[CheckSpec]:
    """Every registered check (of one lab, e.g. ``"01"``), in the labs' order."""
    _load_all()
    return [s for s in REGISTRY.values() if lab is None or s.lab == lab]


def _resolve(ids: Sequence[str]) -> tuple[list[CheckSpec], bool]:
    """The checks to run, and whether the caller asked for exactly one."""
    _load_all()
    if isinstance(ids, str):
        ids = [ids]
    if not ids:
        raise SpecError("Name an exercise to check, e.g. lab.check('01.init'). Known: "
                        + ", ".join(sorted(REGISTRY)) + ".")
    specs: list[CheckSpec] = []
    for i in ids:
        if re.fullmatch(r"\d\d", i):  # a whole lab
            specs += list_checks(i) or _unknown(i)
        elif i in REGISTRY:
            specs.append(REGISTRY[i])
        else:
            _unknown(i)
    single = len(ids) == 1 and not re.fullmatch(r"\d\d", ids[0])
    return specs, single


def _unknown(check_id: str) -> list[CheckSpec]:
    close = difflib.get_close_matches(check_id, list(REGISTRY), n=4, cutoff=0.5)
    prefix = check_id.split(".")[0]
    close += [i for i in sorted(REGISTRY) if i.startswith(prefix + ".") and i not in close]
    near = ", ".join(close[:6]) or ", ".join(sorted(REGISTRY))
    raise SpecError(f"No exercise {check_id!r}. Did you mean: {near}?")


def run_checks(
    lab: Lab, ids: Sequence[str], *, snapshot: Snapshot | None = None, **params: Any
) -> CheckResult | Report:
    """Run checks on ``lab``: a ``CheckResult`` for one id, a ``Report`` for several
    (or for a whole lab, ``"01"``). ``params`` override the checks' defaults, as do
    ``lab.params`` (set by ``start_lab``) for the names a check declares. Pass a
    ``snapshot`` already taken to judge that read instead of a new one."""
    specs, single = _resolve(ids)
    known = {k for s in specs for k in s.params}
    unknown = sorted(set(params) - known)
    if unknown:
        raise SpecError(
            f"{', '.join(specs_ids(specs))} {'takes' if len(specs) == 1 else 'take'} no "
            f"parameter {', '.join(map(repr, unknown))}"
            + (f"; they take: {', '.join(sorted(known))}." if known else ".")
        )
    lab_params = dict(getattr(lab, "params", None) or {})  # set by start_lab(...)
    results = []
    for spec in specs:
        given = {**lab_params, **params}
        args = {**spec.params, **{k: v for k, v in given.items() if k in spec.params}}
        ctx = CheckContext(lab, args, snapshot)
        result = run_check(spec, ctx)
        _remember(lab, spec, result)
        results.append(result)
        snapshot = ctx._snapshot  # one read of the cluster for the whole run
    return results[0] if single else Report(tuple(results))


def _remember(lab: Lab, spec: CheckSpec, result: CheckResult) -> None:
    """Store the verdict with the lab (``swarmlab.records``): later checks and progress
    views read it; a database that cannot be written never changes the verdict."""
    with contextlib.suppress(sqlite3.Error, OSError):
        records.record_verdict(lab.name, getattr(lab, "lab_id", "") or spec.lab, result.id,
                               result.status.value, result.message, result.hint)


def specs_ids(specs: Sequence[CheckSpec]) -> list[str]:
    return [s.id for s in specs]
