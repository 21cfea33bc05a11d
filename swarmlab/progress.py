"""Progress for long operations: one line per step, in a terminal and in a notebook."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Printer = Callable[[str], None]


class Steps:
    """Prints ``-> step ...`` then ``ok (1.2s)`` or ``FAILED``; records each step's time."""

    def __init__(self, title: str = "", out: TextIO | None = None, quiet: bool = False) -> None:
        self.title = title
        self.out = out
        self.quiet = quiet
        self.timings: list[tuple[str, float]] = []
        self._t0 = time.monotonic()

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.out or sys.stdout, flush=True)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        t = time.monotonic()
        try:
            yield
        except BaseException:
            self.say(f"  x {name}: FAILED after {time.monotonic() - t:.1f}s")
            raise
        took = time.monotonic() - t
        self.timings.append((name, took))
        self.say(f"  - {name} ({took:.1f}s)")

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0
