"""Drawing a timeline as plain SVG (no plotting library needed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING

from swarmlab.viz.palette import DOWN, colours

if TYPE_CHECKING:
    from swarmlab.viz.timeline import Bar, Wave

STATE_FILL = {"running": "#8fd694", "complete": "#80b1d3", "failed": "#fb8072",
              "rejected": "#fb8072", "shutdown": "#d9d9d9", "orphaned": "#bdbdbd"}
STARTING_FILL = "#ffe699"
LABEL_W, ROW_H, BAR_H, TOP, AXIS_H = 120, 24, 16, 76, 34
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600)
FONT = 'font-family="Helvetica,Arial,sans-serif"'
Scale = Callable[[float], float]


def draw(
    bars: Sequence[Bar],
    waves: Sequence[Wave],
    start: float,
    end: float,
    *,
    colour_by: str,
    width: int,
    title: str,
    footnote: str = "",
) -> str:
    """The whole SVG document."""
    rows = list(dict.fromkeys(b.row for b in bars))
    plot_w = max(200, width - LABEL_W - 20)
    span = max(end - start, 1.0)

    def x(at: float) -> float:
        return LABEL_W + (at - start) / span * plot_w

    fills = _fills(bars, colour_by)
    height = TOP + len(rows) * ROW_H + AXIS_H + (18 if footnote else 0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" {FONT} font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    out += _legend(fills, colour_by)
    for i, row in enumerate(rows):
        y = TOP + i * ROW_H
        if i % 2:
            out.append(f'<rect x="0" y="{y}" width="{width}" height="{ROW_H}" fill="#f6f8fa"/>')
        out.append(f'<text x="8" y="{y + ROW_H / 2 + 4}">{escape(row)}</text>')
        for b in (b for b in bars if b.row == row):
            out += _bar(b, x, y, end, fills, colour_by)
    bottom = TOP + len(rows) * ROW_H
    out += _waves(waves, x, bottom)
    out += _axis(start, end, x, bottom, plot_w)
    if footnote:
        out.append(f'<text x="8" y="{bottom + AXIS_H + 8}" font-size="10" fill="#57606a">'
                   f"{escape(footnote)}</text>")
    out.append("</svg>")
    return "\n".join(out)


def _fills(bars: Sequence[Bar], colour_by: str) -> dict[str, str]:
    if colour_by == "state":
        return {b.state: STATE_FILL.get(b.state, STARTING_FILL) for b in bars}
    return colours(b.tag for b in sorted(bars, key=lambda b: b.created))


def _legend(fills: dict[str, str], colour_by: str) -> list[str]:
    out, x = [f'<text x="8" y="38" fill="#57606a">{colour_by}:</text>'], 60
    items = list(fills.items())
    if colour_by == "image":
        items.append(("starting", STARTING_FILL))
    items.append(("lost (node down)", DOWN))
    for name, fill in items:
        dash = ' stroke-dasharray="3,2"' if name.startswith("lost") else ""
        out.append(f'<rect x="{x}" y="28" width="14" height="12" rx="2" fill="{fill}" '
                   f'stroke="#444"{dash}/><text x="{x + 18}" y="38">{escape(name)}</text>')
        x += 30 + 7 * len(name)
    return out


def _bar(b: Bar, x: Scale, y: float, end: float, fills: dict[str, str], by: str) -> list[str]:
    if b.lost:
        fill = DOWN
    elif by == "state":
        fill = fills[b.state]
    else:  # by image; a task not yet running is drawn in the "starting" colour
        fill = fills[b.tag] if b.end is not None or b.state == "running" else STARTING_FILL
    top = y + (ROW_H - BAR_H) / 2
    x0, x_end = x(b.created), x(b.end if b.end is not None else end)
    out = [f"<g><title>{escape(_tooltip(b))}</title>"]
    solid_from = x0
    if b.running_since is not None and b.running_since > b.created:
        solid_from = x(b.running_since)  # created -> running: the starting phase
        out.append(f'<rect x="{x0:.1f}" y="{top + BAR_H - 6}" width="{solid_from - x0:.1f}" '
                   f'height="6" fill="{STARTING_FILL}" stroke="#999" stroke-width="0.5"/>')
    failed = b.state in ("failed", "rejected")
    stroke = 'stroke="#cf222e" stroke-width="2"' if failed else 'stroke="#444" stroke-width="0.8"'
    dash = ' stroke-dasharray="3,2"' if b.lost else ""
    w = max(x_end - solid_from, 2.0)
    out.append(f'<rect x="{solid_from:.1f}" y="{top}" width="{w:.1f}" height="{BAR_H}" rx="3" '
               f'fill="{fill}" {stroke}{dash}/>')
    text = f"{b.node or '?'} {b.tag}" + (" \u2717" if failed else "")
    if w > 6.5 * len(text):
        out.append(f'<text x="{solid_from + 4:.1f}" y="{top + BAR_H - 4}" font-size="10">'
                   f"{escape(text)}</text>")
    elif x_end - x0 > 6.5 * len(text):  # over the starting phase, above its thin strip
        out.append(f'<text x="{x0 + 4:.1f}" y="{top + 9}" font-size="10">{escape(text)}</text>')
    out.append("</g>")
    return out


def _tooltip(b: Bar) -> str:
    parts = [f"{b.row} task {b.task_id[:12]} on {b.node or 'no node'}", b.image,
             f"created {_clock(b.created, True)}"]
    if b.running_since:
        parts.append(f"running since {_clock(b.running_since, True)}")
    if b.end is not None:
        parts.append(("lost" if b.lost else b.state) + f" at {_clock(b.end, True)}")
    if b.note:
        parts.append(b.note)
    return "; ".join(parts)


def _waves(waves: Sequence[Wave], x: Scale, bottom: float) -> list[str]:
    out, prev = [], None
    for i, w in enumerate(waves):
        px = x(w.at)
        gap = "" if prev is None else f" (+{w.at - prev:.1f}s)"
        y = TOP - 6 - 12 * (i % 2)  # alternate heights so close waves stay legible
        out.append(f'<line x1="{px:.1f}" y1="{y + 2}" x2="{px:.1f}" y2="{bottom}" '
                   'stroke="#1f4e99" stroke-dasharray="4,3" stroke-width="1"/>')
        out.append(f'<text x="{px + 3:.1f}" y="{y}" font-size="10" fill="#1f4e99">'
                   f"{escape(w.label + gap)}</text>")
        prev = w.at
    return out


def _axis(start: float, end: float, x: Scale, bottom: float, plot_w: float) -> list[str]:
    span = end - start
    step = next((s for s in _STEPS if span / s <= plot_w / 70), _STEPS[-1])
    out = [f'<line x1="{LABEL_W}" y1="{bottom + 4}" x2="{LABEL_W + plot_w}" y2="{bottom + 4}" '
           f'stroke="#444"/><text x="8" y="{bottom + 21}" font-size="10" fill="#57606a">'
           f"0 = {_clock(start)}</text>"]
    k = 0
    while k * step <= span:
        px = x(start + k * step)
        out.append(f'<line x1="{px:.1f}" y1="{bottom + 4}" x2="{px:.1f}" y2="{bottom + 9}" '
                   f'stroke="#444"/><text x="{px:.1f}" y="{bottom + 21}" font-size="10" '
                   f'text-anchor="middle">{_offset(k * step)}</text>')
        k += 1
    return out


def _offset(seconds: int) -> str:
    if seconds < 60 or seconds % 60 and seconds < 600:
        return f"+{seconds}s" if seconds < 60 else f"+{seconds // 60}m{seconds % 60:02d}s"
    return f"+{seconds // 60}m" if seconds < 3600 else f"+{seconds / 3600:g}h"


def _clock(at: float, fine: bool = False) -> str:
    text = time.strftime("%H:%M:%S", time.localtime(at))
    return f"{text}.{int(at * 10) % 10}" if fine else text
