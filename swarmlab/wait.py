"""The kit's one way to wait: poll a probe until it says yes, or time out.

::

    rows = wait.until(lambda: ready_rows(m), what="every node Ready", timeout=90,
                      interval=0.5, hint="A node that stays Down: see `docker logs`.")

``until`` raises ``WaitTimeout`` (what was awaited, the last thing seen, a hint);
``settle`` never raises and returns the last observation, for checks, which must answer
FAIL with a hint rather than raise while the cluster is still moving.

A probe returns an observation; ``ok(observation)`` (default: truthiness) says whether it
is what is awaited. Exceptions listed in ``ignore`` count as "not yet" and are kept as the
last thing seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from swarmlab.errors import WaitTimeout

T = TypeVar("T")


def _truthy(value: object) -> bool:
    return bool(value)


def _poll(
    probe: Callable[[], T], ok: Callable[[Any], bool], timeout: float, interval: float,
    ignore: tuple[type[BaseException], ...],
) -> tuple[bool, T | None, str]:
    deadline = time.monotonic() + max(0.0, float(timeout))
    last: T | None = None
    seen = ""
    while True:
        try:
            last = probe()
            seen = "" if last is None else str(last)
            if ok(last):
                return True, last, seen
        except ignore as e:  # "not yet": keep what it said
            seen = str(e).splitlines()[0] if str(e) else type(e).__name__
        if time.monotonic() + interval > deadline:
            return False, last, seen
        time.sleep(interval)


def until(
    probe: Callable[[], T], *, what: str, timeout: float, interval: float = 1.0,
    ok: Callable[[T], bool] = _truthy, hint: str = "",
    ignore: tuple[type[BaseException], ...] = (),
    show: Callable[[T | None, str], str] | None = None,
) -> T:
    """The first observation ``ok`` accepts; ``WaitTimeout`` after ``timeout`` seconds.

    The probe runs at least once, then every ``interval`` seconds. ``show(last, seen)``
    may turn the last observation into the "Last seen" line of the error.
    """
    done, last, seen = _poll(probe, ok, timeout, interval, ignore)
    if done:
        return last  # type: ignore[return-value]
    raise WaitTimeout(what, timeout, show(last, seen) if show else seen[:500], hint)


def settle(
    probe: Callable[[], T], *, timeout: float, interval: float = 1.0,
    ok: Callable[[T], bool] = _truthy, ignore: tuple[type[BaseException], ...] = (),
) -> T | None:
    """Poll like ``until`` but never raise: the accepted observation, or the last one
    (``None`` if every probe raised one of ``ignore``)."""
    return _poll(probe, ok, timeout, interval, ignore)[1]
