"""A printable login card per student: the address, their name, the class password."""

from __future__ import annotations

import html

from swarmlab.classroom.config import ClassSettings

_STYLE = ("body{font-family:sans-serif} .card{display:inline-block;width:88mm;height:52mm;"
          "border:1px dashed #888;margin:3mm;padding:5mm;box-sizing:border-box;"
          "page-break-inside:avoid;vertical-align:top} .card h2{margin:0 0 3mm;font-size:14pt}"
          " .card code{font-size:13pt} .card small{color:#555}")


def card(settings: ClassSettings, student: str, password: str) -> str:
    e = html.escape
    return (f"<div class='card'><h2>Swarm lab: {e(settings.name)}</h2>"
            f"<div>Open <code>{e(settings.url)}/</code></div>"
            f"<div>User <code>{e(student)}</code></div>"
            f"<div>Password <code>{e(password)}</code></div>"
            f"<small>Your cluster: {e(settings.lab_of(student))}. Start with "
            "00-welcome.ipynb.</small></div>")


def cards_html(settings: ClassSettings, password: str) -> str:
    body = "\n".join(card(settings, s, password) for s in settings.students)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Login cards: "
            f"{html.escape(settings.name)}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n")
