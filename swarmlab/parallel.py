"""Do one thing to many items at once: the kit's one parallel map."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def parallel(fn: Callable[[T], R], items: Sequence[T], limit: int = 16) -> list[R]:
    """``[fn(x) for x in items]``, run in up to ``limit`` threads; the first error raises."""
    with ThreadPoolExecutor(max_workers=max(1, min(limit, len(items)))) as pool:
        return list(pool.map(fn, items))


__all__ = ["parallel"]
