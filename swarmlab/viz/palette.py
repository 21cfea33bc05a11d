"""Colours that stay with a name across refreshes, and the engine's timestamps as numbers."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from datetime import datetime, timezone

# Light fills so black text reads: ColorBrewer Set3 with its grey ("down") and its red
# (a failure) swapped out.
PALETTE = (
    "#8dd3c7", "#ffffb3", "#bebada", "#e5c494", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#a6cee3", "#bc80bd", "#ccebc5", "#ffed6f",
)
DOWN = "#d9d9d9"
_STAMP = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def colours(names: Iterable[str]) -> dict[str, str]:
    """A fill per name. Each name prefers a colour of its own (a hash of the name), so a
    service keeps its colour when others come and go; the first names given win clashes."""
    taken: dict[str, str] = {}
    for name in dict.fromkeys(names):
        start = zlib.crc32(name.encode()) % len(PALETTE)
        for step in range(len(PALETTE)):
            colour = PALETTE[(start + step) % len(PALETTE)]
            if colour not in taken.values():
                break
        else:
            colour = PALETTE[start]  # more names than colours: share
        taken[name] = colour
    return taken


def epoch(stamp: str) -> float | None:
    """Seconds since 1970 for an Engine API time (nanoseconds, ``Z``); None for none."""
    m = _STAMP.match(stamp.strip()) if stamp else None
    if not m or m.group(1) == "0001":
        return None
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    when = datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc).timestamp()
    when += float("0." + m.group(7)) if m.group(7) else 0.0
    zone = m.group(8)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        when -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return when


def tag(image: str) -> str:
    """``swarmlab/web:v1`` -> ``v1``; an image without a tag -> ``latest``."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"
