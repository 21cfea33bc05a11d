"""Plain-text tables for the terminal and the ``%swarmlab status`` magic."""

from __future__ import annotations


def format_table(rows: list[dict[str, str]]) -> str:
    """Rows of equal keys as an aligned text table."""
    if not rows:
        return "(no nodes)"
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys}
    lines = ["  ".join(k.upper().ljust(widths[k]) for k in keys)]
    lines += ["  ".join(str(r.get(k, "")).ljust(widths[k]) for k in keys) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


__all__ = ["format_table"]
