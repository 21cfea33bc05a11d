"""Check results that render themselves, the registry, and what a check can look at.

A check is a function ``(ctx: CheckContext) -> CheckResult``. A learner's mistake is a
FAIL with a hint naming the likely mistake, never an exception; SKIP means the host
lacks something (the message says what, the hint how to get it). Only broken
infrastructure raises.

Where the end state cannot tell an exercise done from its start (or from the wrong
action), a check also reads evidence of the learner's steps since ``start_lab``: the
commands recorded on the nodes with their exit codes (``ctx.history()``, ``ctx.ran()``),
the kit's power events (``ctx.events()``) and earlier verdicts (``ctx.passed_before()``),
the last two from ``swarmlab.records``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swarmlab import records
from swarmlab.checks.results import MIME_TYPE, CheckResult, Report, Status
from swarmlab.errors import ConnectError
from swarmlab.history import HISTORY_FILE, Entry, succeeded
from swarmlab.history import parse as parse_history
from swarmlab.i18n import _
from swarmlab.records import Event, Verdict
from swarmlab.transport.base import CommandResult

if TYPE_CHECKING:
    from swarmlab.lab import Lab
    from swarmlab.state import Snapshot


CheckFn = Callable[["CheckContext"], CheckResult]
# What a check needs before its own logic runs: None when it is there, else the verdict
# (a FAIL or SKIP saying what is missing and how to get it).
Requirement = Callable[["CheckContext"], "CheckResult | None"]
# Requirements by name, for ``needs=("swarm", "service:web")``: a kind and its argument
# ("service", "web") give the requirement. ``swarmlab.checks.requires`` fills this in.
NAMED_NEEDS: dict[str, Callable[[str], Requirement]] = {}

__all__ = ["MIME_TYPE", "REGISTRY", "CheckContext", "CheckResult", "CheckSpec", "Report",
           "Requirement", "Status", "register", "run_check"]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    lab: str
    fn: CheckFn
    params: Mapping[str, Any]
    needs: tuple[str | Requirement, ...] = ()


REGISTRY: dict[str, CheckSpec] = {}


def register(
    check_id: str, *, title: str, lab: str, params: Mapping[str, Any] | None = None,
    needs: tuple[str | Requirement, ...] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Add a check under ``check_id`` (``NN.slug``); ``params`` are its defaults; mark
    ``title`` with ``N_()`` (``run_check`` translates it).

    ``needs`` are what the check needs before its own logic runs, in order: a name
    (``"swarm"``, ``"service:web"``, ``"service:{service}"`` for a parameter) or a
    requirement from ``swarmlab.checks.requires`` (``swarm(hint)``, ``service(name,
    how)``). ``run_check`` checks them first; the first one missing is the verdict."""
    for need in needs:
        if isinstance(need, str) and need.split(":", 1)[0] not in NAMED_NEEDS:
            raise ValueError(f"check {check_id!r} needs {need!r}: known are "
                             + ", ".join(sorted(NAMED_NEEDS)))

    def add(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY and REGISTRY[check_id].fn is not fn:
            raise ValueError(f"check {check_id!r} registered twice")
        REGISTRY[check_id] = CheckSpec(check_id, title, lab, fn, dict(params or {}),
                                       tuple(needs))
        return fn

    return add


def requirement(need: str | Requirement) -> Requirement:
    """The requirement a name in ``needs`` stands for (a callable stands for itself)."""
    if not isinstance(need, str):
        return need
    kind, _, arg = need.partition(":")
    return NAMED_NEEDS[kind](arg)


def run_check(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    """The check's verdict: the first of its ``needs`` that is missing, else its own."""
    ctx.check_id, ctx.title, ctx.lab_id = spec.id, _(spec.title), spec.lab
    for need in spec.needs:
        problem = requirement(need)(ctx)
        if problem is not None:
            return problem
    return spec.fn(ctx)


class CheckContext:
    """What a check may look at: the lab, one snapshot (taken on first use, shared by
    the checks of one run), its parameters, live probes on nodes, and the evidence of the
    learner's steps (history, power events, earlier verdicts)."""

    def __init__(self, lab: Lab, params: Mapping[str, Any] | None = None,
                 snapshot: Snapshot | None = None) -> None:
        self.lab = lab
        self.params: dict[str, Any] = dict(params or {})
        self.check_id = ""
        self.title = ""
        self.lab_id = ""
        self.found: dict[str, Any] = {}  # what the check's requirements found, by name
        self._snapshot = snapshot
        self._machines: dict[str, str] | None = None
        self._history: list[Entry] | None = None
        self._since: float | None = None

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            from swarmlab.state import take_snapshot

            self._snapshot = take_snapshot(self.lab)
        return self._snapshot

    def refresh(self, *, machines: bool = False) -> Snapshot:
        """Read the cluster again and return the new snapshot (the context otherwise keeps
        one read per run). ``machines=True`` also forgets the machine states, so the next
        ``machines()`` / ``stopped()`` asks the provider again."""
        self._snapshot = None
        if machines:
            self._machines = None
        return self.snapshot

    def machines(self) -> dict[str, str]:
        """Each node's machine state as the provider sees it ("running", "exited", ...)."""
        if self._machines is None:
            self._machines = dict(self.lab.provider.states(self.lab.name))
        return self._machines

    def stopped(self) -> list[str]:
        """Lab nodes whose machine is not running (in the lab's node order)."""
        states = self.machines()
        return [n for n in self.lab.node_names if states.get(n) != "running"]

    def probe(self, node: str, cmd: str, timeout: float = 30) -> CommandResult:
        """Run ``cmd`` on a node now. A stopped node gives exit code -1, not an error."""
        try:
            return self.lab.node(node).run(cmd, timeout=timeout)
        except ConnectError as e:
            return CommandResult(cmd, -1, "", str(e), node=node)

    def probe_all(self, cmd: str, nodes: list[str] | None = None,
                  timeout: float = 30) -> dict[str, CommandResult]:
        """``probe`` on several nodes (default: all) in parallel."""
        names = nodes if nodes is not None else self.lab.node_names
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(names)))) as pool:
            results = pool.map(lambda n: self.probe(n, cmd, timeout), names)
            return dict(zip(names, results, strict=True))

    # ----- evidence of the learner's steps ----------------------------------------------
    def session_start(self) -> float:
        """When the lab was last prepared by ``start_lab`` (0.0: never, or unknown)."""
        if self._since is None:
            try:
                self._since = records.session_start(self.lab.name)
            except (sqlite3.Error, OSError):
                self._since = 0.0
        return self._since

    def history(self) -> list[Entry]:
        """The commands recorded on the running nodes (``%%node``, ``swarmlab exec``) since
        the lab was prepared, oldest first."""
        if self._history is None:
            probes = self.probe_all(f"cat {HISTORY_FILE} 2>/dev/null", timeout=15)
            found = [e for node, r in probes.items() if r.exit_code >= 0
                     for e in parse_history(r.stdout, node)]
            since = self.session_start()
            self._history = sorted((e for e in found if e.at >= since - 1),
                                   key=lambda e: e.at)
        return self._history

    def ran(self, pattern: str, *, failed_too: bool = False) -> list[Entry]:
        """Recorded commands with a line matching the regex ``pattern`` that exited 0
        (``failed_too``: whatever their exit code)."""
        if failed_too:
            rx = re.compile(pattern)
            return [e for e in self.history() if any(rx.search(c) for c in e.commands())]
        return succeeded(self.history(), pattern)

    def events(self) -> list[Event]:
        """The kit's power events on this lab (``lab.stop/start``) since it was prepared."""
        try:
            return records.events(self.lab.name, self.session_start())
        except (sqlite3.Error, OSError):
            return []

    def passed_before(self, exercise: str) -> Verdict | None:
        """The latest PASS of ``exercise`` on this lab since it was prepared, if any."""
        try:
            return records.passed_since(self.lab.name, exercise, self.session_start())
        except (sqlite3.Error, OSError):
            return None

    # ----- verdicts -----------------------------------------------------------------
    def ok(self, message: str, **details: Any) -> CheckResult:
        return CheckResult(self.check_id, Status.PASS, message, "", details, self.title)

    def fail(self, message: str, hint: str, **details: Any) -> CheckResult:
        return CheckResult(self.check_id, Status.FAIL, message, hint, details, self.title)

    def skip(self, missing: str, how: str, **details: Any) -> CheckResult:
        return CheckResult(self.check_id, Status.SKIP,
                           _("Skipped: {missing}.").format(missing=missing), how, details,
                           self.title)
