"""The class's students: ``student01 .. studentNN`` or a roster file, one name a line."""

from __future__ import annotations

import re
from pathlib import Path

from swarmlab.errors import SpecError

STUDENT_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
INSTRUCTOR = "instructor"
MAX_LAB_NAME = 24  # swarmlab.spec.NAME_RE: a student's cluster is <class>-<student>


def numbered(count: int) -> list[str]:
    """``student01`` .. ``studentNN`` (at least two digits, so they sort)."""
    if count < 1:
        raise SpecError(f"--students must be 1 or more, not {count}.")
    width = max(2, len(str(count)))
    return [f"student{i:0{width}d}" for i in range(1, count + 1)]


def parse(text: str, source: str = "roster") -> list[str]:
    """Names from a roster's text: one a line; blank lines and ``#`` comments ignored;
    names are lowercased. Every bad line is reported at once, with its line number."""
    names: list[str] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        name = raw.split("#", 1)[0].strip().lower()
        if not name:
            continue
        if not STUDENT_RE.match(name):
            problems.append(f"line {number}: {raw.strip()!r} is not a name (a letter, then up "
                            "to 15 letters or digits, no spaces or punctuation)")
        elif name == INSTRUCTOR:
            problems.append(f"line {number}: {name!r} is the instructor's account")
        elif name in seen:
            problems.append(f"line {number}: {name!r} is already on line {seen[name]}")
        else:
            seen[name] = number
            names.append(name)
    if problems:
        raise SpecError(f"{source} has bad names; fix these lines and run again:\n  "
                        + "\n  ".join(problems))
    if not names:
        raise SpecError(f"{source} names no student: write one name a line.")
    return names


def read(path: Path) -> list[str]:
    """The names in a roster file."""
    try:
        text = path.read_text()
    except OSError as e:
        raise SpecError(f"cannot read the roster {str(path)!r}: {e.strerror}.") from None
    return parse(text, f"roster {str(path)!r}")


def check_lab_names(class_name: str, students: list[str]) -> None:
    """Every ``<class>-<student>`` must be a lab name (at most 24 characters)."""
    too_long = [s for s in students if len(class_name) + 1 + len(s) > MAX_LAB_NAME]
    if too_long:
        room = MAX_LAB_NAME - 1 - len(class_name)
        raise SpecError(
            f"the clusters are named <class>-<student>, at most {MAX_LAB_NAME} characters: "
            f"with class {class_name!r} a name may have {room} characters, and "
            f"{', '.join(too_long[:5])} {'is' if len(too_long) == 1 else 'are'} longer. "
            "Use a shorter class name (--name) or shorter student names.")
