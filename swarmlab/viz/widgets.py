"""A live panel: the cluster picture redrawn every few seconds, with node buttons.

Reading the swarm, drawing it and the node actions all run in background threads; the
kernel stays free for the learner's cells. Widget values are set under one lock
(ipykernel sends comm messages from any thread through its IOPub thread).
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from swarmlab.i18n import N_, _
from swarmlab.viz.topology import headline, topology

if TYPE_CHECKING:
    from swarmlab.lab import Lab

ACTIONS = ("stop", "start", "drain", "pause", "activate")
_ICONS = {"stop": "power-off", "start": "play", "drain": "arrow-down", "pause": "pause",
          "activate": "check", "refresh": "refresh", "close": "times"}
# Button labels and tooltips, translated when a panel is made (swarmlab.i18n).
_LABELS = {"stop": N_("stop"), "start": N_("start"), "drain": N_("drain"),
           "pause": N_("pause"), "activate": N_("activate"), "refresh": N_("refresh"),
           "close": N_("close")}
_TIPS = {
    "stop": N_("Power the node off: its engine goes away, the swarm sees it Down (~15 s)"),
    "start": N_("Power the node on again (its tasks do not come back by themselves)"),
    "drain": N_("docker node update --availability drain: move its tasks elsewhere"),
    "pause": N_("docker node update --availability pause: keep its tasks, take no new ones"),
    "activate": N_("docker node update --availability active"),
    "refresh": N_("Redraw now"), "close": N_("Stop watching"),
}


class LivePanel(widgets.VBox):
    """``watch(lab)``: picture + status line + node controls; polls in a thread."""

    def __init__(self, lab: Lab, interval: float = 3.0) -> None:
        self.lab, self.interval = lab, max(0.2, float(interval))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.picture = widgets.HTML(layout=widgets.Layout(overflow="auto"))
        self.status = widgets.HTML()
        self.node = widgets.Dropdown(options=lab.node_names, description=_("node"),
                                     layout=widgets.Layout(width="180px"))
        self.buttons = {name: widgets.Button(description=_(_LABELS[name]), icon=_ICONS[name],
                                             tooltip=_(_TIPS[name]),
                                             layout=widgets.Layout(width="auto"))
                        for name in (*ACTIONS, "refresh", "close")}
        for name in ACTIONS:
            self.buttons[name].on_click(lambda _b, n=name: self.act(n, self.node.value))
        self.buttons["refresh"].on_click(lambda _b: self._wake.set())
        self.buttons["close"].on_click(lambda _b: self.close())
        controls = widgets.HBox([self.node, *self.buttons.values()])
        super().__init__([controls, self.status, self.picture])
        self.refreshes = 0
        self.last_refresh_s = 0.0
        self._svg = ""
        self._said = ("", False)  # the last action's outcome, and whether it failed
        self._actions = ThreadPoolExecutor(1, thread_name_prefix=f"swarmlab-act-{lab.name}")
        self._thread = threading.Thread(target=self._poll, daemon=True,
                                        name=f"swarmlab-watch-{lab.name}")
        self._thread.start()
        self._view_count = 0  # counts views, so clearing the output stops the polling
        self.observe(self._on_views, names="_view_count")

    # ----- life -------------------------------------------------------------------------
    @property
    def polling(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Stop polling (the thread ends within a second) and close the widgets."""
        if not self._stop.is_set():
            self._stop.set()
            self._wake.set()
            self._actions.shutdown(wait=False, cancel_futures=True)
            with self._lock:
                self.status.value = self._line(_("stopped watching"), colour="#57606a")
                for b in self.buttons.values():
                    b.disabled = True
                self.node.disabled = True
        super().close()

    def _on_views(self, change: dict[str, Any]) -> None:
        if change["old"] and not change["new"]:  # the last view went away
            self.close()

    # ----- polling ----------------------------------------------------------------------
    def _poll(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.refresh()
            # A steady beat: the refresh's own time counts toward the interval.
            self._wake.wait(max(0.05, self.interval - (time.monotonic() - started)))
            self._wake.clear()

    def refresh(self) -> None:
        """Read the swarm and redraw; any error goes to the status line."""
        started = time.monotonic()
        try:
            snap = self.lab.snapshot()
            svg = topology(snap, title=headline(snap, clock=False)).pipe(format="svg")
            text = svg.decode("utf-8")
            text = text[text.find("<svg"):]  # no XML prolog inside HTML
        except Exception as e:  # the panel outlives any failure and says what it was
            self._show(error=_("refresh failed: {error}").format(error=f"{type(e).__name__}: {e}"))
            return
        took = time.monotonic() - started
        with self._lock:
            if self._stop.is_set():
                return
            if text != self._svg:
                self._svg = self.picture.value = text
            names = self.lab.node_names
            if list(self.node.options) != names:
                self.node.options = names
            self.refreshes += 1
            self.last_refresh_s = took
        self._show(took=took)

    # ----- actions ----------------------------------------------------------------------
    def act(self, action: str, node: str) -> None:
        """Queue a node action (``stop``, ``start``, ``drain``, ``pause``, ``activate``)."""
        if action not in ACTIONS:
            raise ValueError(f"action is one of {', '.join(ACTIONS)}, not {action!r}")
        if self._stop.is_set():
            return
        self._said = (_("{action} {node} ...").format(action=_(_LABELS[action]), node=node),
                      False)
        self._show()
        self._actions.submit(self._run_action, action, node)

    def _run_action(self, action: str, node: str) -> None:
        started = time.monotonic()
        try:
            _ACTION_CALLS[action](self.lab, node)
            self._said = (_("{action} {node}: done ({seconds:.1f}s)").format(
                action=_(_LABELS[action]), node=node, seconds=time.monotonic() - started), False)
        except Exception as e:  # shown until the next action
            self._said = (_("{action} {node} failed: {error}").format(
                action=_(_LABELS[action]), node=node, error=e), True)
        self._show()
        self._wake.set()

    # ----- status line ------------------------------------------------------------------
    def _show(self, took: float | None = None, error: str = "") -> None:
        parts = [_("live, every {interval:g}s").format(interval=self.interval)]
        if took is not None:
            parts.append(_("updated {clock} in {took:.2f}s").format(
                clock=time.strftime("%H:%M:%S"), took=took))
        said, failed = self._said
        if said and not failed:
            parts.append(f"<b>{html.escape(said)}</b>")
        line = self._line(" \u00b7 ".join(parts), raw=True)
        for text in (error, said if failed else ""):
            if text:
                line += f' <span style="color:#cf222e">\u26a0 {html.escape(text[:300])}</span>'
        with self._lock:
            if not self._stop.is_set():
                self.status.value = line

    @staticmethod
    def _line(text: str, colour: str = "#1a7f37", raw: bool = False) -> str:
        body = text if raw else html.escape(text)
        return f'<span style="color:{colour}">\u25cf</span> <span>{body}</span>'


def _availability(value: str) -> Callable[[Lab, str], None]:
    def call(lab: Lab, node: str) -> None:
        lab.node(node)  # a clear error for an unknown name
        lab.manager().docker(f"node update --availability {value} {node}").check(
            hint="Availability is changed on a manager; the swarm needs a leader for it."
        )

    return call


_ACTION_CALLS: dict[str, Callable[[Lab, str], None]] = {
    "stop": lambda lab, node: lab.stop(node),
    "start": lambda lab, node: lab.start(node, wait=False),
    "drain": lambda lab, node: lab.set_availability(node, "drain"),
    "pause": lambda lab, node: lab.set_availability(node, "pause"),
    "activate": lambda lab, node: lab.set_availability(node, "active"),
}


def watch(lab: Lab, interval: float = 3.0) -> LivePanel:
    """A live panel of ``lab``: redrawn every ``interval`` seconds, never blocking."""
    return LivePanel(lab, interval=interval)
