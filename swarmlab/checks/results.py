"""What a check answers: PASS, FAIL or SKIP with a message and a hint, shown as a badge
(HTML), one line of text, or JSON for tools that read executed notebooks."""

from __future__ import annotations

import enum
import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from swarmlab.i18n import N_, _


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
# How the badge and the text line name a status (the JSON keeps PASS/FAIL/SKIP).
_WORDS = {Status.PASS: N_("PASS"), Status.FAIL: N_("FAIL"), Status.SKIP: N_("SKIP")}


def status_word(status: Status) -> str:
    """The status as a learner reads it: PASS, or 통과 in Korean, ..."""
    return _(_WORDS[status])


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
        text = f"[{status_word(self.status)}] {self.id}: {self.message}"
        if self.hint:
            text += "\n       " + _("Hint: {hint}").format(hint=self.hint)
        return text

    def __repr__(self) -> str:
        text = f"[{status_word(self.status)}] {self.id}: {self.message}"
        if self.hint:
            text += " (" + _("Hint: {hint}").format(hint=self.hint) + ")"
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
                 f"padding:1px 8px;font-weight:bold;font-size:90%'>"
                 f"{e(status_word(self.status))}</span>")
        title = f" <span style='color:#555'>({e(self.title)})</span>" if self.title else ""
        out = f"{badge} <code>{e(self.id)}</code>{title} {e(self.message)}"
        if self.hint:
            hint = e(_("Hint: {hint}").format(hint=self.hint))
            out += f"<div style='margin:2px 0 0 3.2em;color:{colour}'>{hint}</div>"
        if self.details:
            rows = "".join(
                f"<tr><td style='text-align:left;padding-right:1em'><b>{e(str(k))}</b></td>"
                f"<td style='text-align:left'><code>{e(_fmt(v))}</code></td></tr>"
                for k, v in self.details.items()
            )
            more = e(_("details"))
            out += (f"<details style='margin-left:3.2em;color:#444'><summary>{more}</summary>"
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
        text = _("{passed}/{total} passed").format(passed=c["PASS"], total=len(self.results))
        if c["FAIL"]:
            text += _(", {n} failed").format(n=c["FAIL"])
        if c["SKIP"]:
            text += _(", {n} skipped").format(n=c["SKIP"])
        return text

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
