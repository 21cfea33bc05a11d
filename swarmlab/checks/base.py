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

import enum
import html
import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from swarmlab import records
from swarmlab.errors import ConnectError
from swarmlab.history import HISTORY_FILE, Entry, succeeded
from swarmlab.history import parse as parse_history
from swarmlab.records import Event, Verdict
from swarmlab.transport.base import CommandResult

if TYPE_CHECKING:
    from swarmlab.lab import Lab
    from swarmlab.state import Snapshot


class Status(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"

    def __str__(self) -> str:
        return self.value


# The machine-readable form of a result or report in a notebook's outputs. A vendor type,
# not plain application/json: JupyterLab ranks its JSON renderer above HTML and would
# show a JSON tree instead of the badge.
MIME_TYPE = "application/vnd.swarmlab.check+json"

_COLOURS = {Status.PASS: "#2e7d32", Status.FAIL: "#c62828", Status.SKIP: "#757575"}


@dataclass(frozen=True, repr=False)
class CheckResult:
    """The outcome of one exercise's check.

    It shows itself as a coloured badge (``text/html``), as one line of text
    (``text/plain``, its ``repr``) and as JSON (``MIME_TYPE``: id, status, message, hint,
    title) for tools that read executed notebooks.
    """

    id: str
    status: Status
    message: str
    hint: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    title: str = ""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        text = f"[{self.status}] {self.id}: {self.message}"
        if self.hint:
            text += f"\n       Hint: {self.hint}"
        return text

    def __repr__(self) -> str:
        text = f"[{self.status}] {self.id}: {self.message}"
        if self.hint:
            text += f" (Hint: {self.hint})"
        return " ".join(text.splitlines())

    def as_dict(self) -> dict[str, str]:
        """What the result says, as plain JSON-able strings (details left out)."""
        return {"id": self.id, "status": self.status.value, "message": self.message,
                "hint": self.hint, "title": self.title}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {MIME_TYPE: self.as_dict()}  # IPython adds text/plain and text/html

    def _repr_html_(self) -> str:
        return f"<div style='margin:4px 0;font-family:sans-serif'>{self._html_row()}</div>"

    def _html_row(self) -> str:
        e = html.escape
        colour = _COLOURS[self.status]
        badge = (f"<span style='background:{colour};color:white;border-radius:4px;"
                 f"padding:1px 8px;font-weight:bold;font-size:90%'>{self.status}</span>")
        title = f" <span style='color:#555'>({e(self.title)})</span>" if self.title else ""
        out = f"{badge} <code>{e(self.id)}</code>{title} {e(self.message)}"
        if self.hint:
            out += f"<div style='margin:2px 0 0 3.2em;color:{colour}'>Hint: {e(self.hint)}</div>"
        if self.details:
            rows = "".join(
                f"<tr><td style='text-align:left;padding-right:1em'><b>{e(str(k))}</b></td>"
                f"<td style='text-align:left'><code>{e(_fmt(v))}</code></td></tr>"
                for k, v in self.details.items()
            )
            out += (f"<details style='margin-left:3.2em;color:#444'><summary>details</summary>"
                    f"<table>{rows}</table></details>")
        return out


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


@dataclass(frozen=True, repr=False)
class Report:
    """Several results; ``passed`` when none FAILed (a SKIP is not a failure). Shown like
    a ``CheckResult``: HTML badges, one text line per result, and JSON (``MIME_TYPE``)."""

    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.status is not Status.FAIL for r in self.results)

    def __bool__(self) -> bool:
        return self.passed

    def __iter__(self) -> Iterator[CheckResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, key: int | str) -> CheckResult:
        if isinstance(key, int):
            return self.results[key]
        for r in self.results:
            if r.id == key:
                return r
        raise KeyError(key)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(r.status is s for r in self.results) for s in Status}

    def summary(self) -> str:
        c = self.counts()
        return f"{c['PASS']}/{len(self.results)} passed" + "".join(
            f", {c[k]} {k.lower()}ed" if k == "FAIL" else f", {c[k]} skipped"
            for k in ("FAIL", "SKIP") if c[k]
        )

    def __str__(self) -> str:
        return "\n".join([*(str(r) for r in self.results), self.summary()])

    def __repr__(self) -> str:
        return "\n".join([*(repr(r) for r in self.results), self.summary()])

    def as_dict(self) -> dict[str, Any]:
        """The summary and every result's ``as_dict()``."""
        return {"passed": self.passed, "summary": self.summary(), "counts": self.counts(),
                "results": [r.as_dict() for r in self.results]}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {MIME_TYPE: self.as_dict()}

    def _repr_html_(self) -> str:
        rows = "".join(f"<div style='margin:4px 0'>{r._html_row()}</div>" for r in self.results)
        return f"<div style='font-family:sans-serif'>{rows}<b>{self.summary()}</b></div>"


CheckFn = Callable[["CheckContext"], CheckResult]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    lab: str
    fn: CheckFn
    params: Mapping[str, Any]


REGISTRY: dict[str, CheckSpec] = {}


def register(
    check_id: str, *, title: str, lab: str, params: Mapping[str, Any] | None = None
) -> Callable[[CheckFn], CheckFn]:
    """Add a check under ``check_id`` (``NN.slug``); ``params`` are its defaults."""

    def add(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY and REGISTRY[check_id].fn is not fn:
            raise ValueError(f"check {check_id!r} registered twice")
        REGISTRY[check_id] = CheckSpec(check_id, title, lab, fn, dict(params or {}))
        return fn

    return add


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
        return CheckResult(self.check_id, Status.SKIP, f"Skipped: {missing}.", how, details,
                           self.title)
