"""Pictures of a real cluster: the live panel, the timeline of a real rolling update."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import swarmlab
from swarmlab.viz import timeline, topology, watch
from swarmlab.viz.palette import tag
from swarmlab.viz.widgets import LivePanel
from tests.integration.conftest import module_lab, shared_name

LAB = shared_name()

pytestmark = pytest.mark.integration


lab = module_lab()


@pytest.fixture
def panel(lab: swarmlab.Lab) -> Iterator[LivePanel]:
    p = watch(lab, interval=0.5)
    yield p
    p.close()


def until(what: str, ok: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def node_state(lab: swarmlab.Lab, name: str) -> tuple[str, str]:
    node = lab.snapshot().node(name)
    assert node is not None
    return node.state, node.availability


def test_the_panel_draws_the_cluster_after_a_refresh(lab: swarmlab.Lab, panel: LivePanel) -> None:
    until("a first refresh", lambda: panel.refreshes >= 1, 20)
    picture = panel.picture.value
    assert picture.startswith("<svg")
    for name in lab.node_names:
        assert f"> {name}</text>" in picture or f">{name}</text>" in picture
    assert "\u2605" in picture
    assert "updated" in panel.status.value and "\u26a0" not in panel.status.value
    assert list(panel.node.options) == lab.node_names
    until("more refreshes", lambda: panel.refreshes >= 3, 20)
    assert panel.polling


def test_drain_and_activate_buttons_change_the_real_node(
    lab: swarmlab.Lab, panel: LivePanel
) -> None:
    panel.node.value = "worker1"
    panel.buttons["drain"].click()
    until("worker1 drained", lambda: node_state(lab, "worker1")[1] == "drain", 20)
    until("the picture to show it", lambda: ">drain</text>" in panel.picture.value, 10)
    assert "drain worker1: done" in panel.status.value
    panel.buttons["activate"].click()
    until("worker1 active", lambda: node_state(lab, "worker1")[1] == "active", 20)
    until("the picture to show it", lambda: ">drain</text>" not in panel.picture.value, 10)


def test_a_stopped_node_shows_down_with_its_tasks_last_seen(
    lab: swarmlab.Lab, panel: LivePanel
) -> None:
    lab.node("manager1").run(
        "docker service create -d -q --name spread --replicas 3 "
        "--placement-pref spread=node.id swarmlab/web:v1"
    ).check()
    until("3 tasks running", lambda: sum(
        t.running for t in lab.snapshot().tasks_of("spread")) == 3, 60)
    panel.act("stop", "worker2")
    until("the stop to finish", lambda: "stop worker2: done" in panel.status.value, 60)
    until("worker2 down in the picture", lambda: ">down</text>" in panel.picture.value, 60)
    until("its task shown as last seen", lambda: "last seen" in panel.picture.value, 10)
    panel.act("start", "worker2")
    until("worker2 ready again", lambda: node_state(lab, "worker2")[0] == "ready", 90)
    until("the picture to show it", lambda: ">down</text>" not in panel.picture.value, 20)
    lab.node("manager1").run("docker service rm spread").check()


def test_errors_show_in_the_status_line_and_polling_goes_on(
    lab: swarmlab.Lab, panel: LivePanel
) -> None:
    panel.act("drain", "worker9")
    until("the failed action", lambda: "drain worker9 failed" in panel.status.value, 10)
    assert "has no node &#x27;worker9&#x27;" in panel.status.value
    lab.stop("manager1")  # no manager left: reading the swarm fails for real
    try:
        until("the error", lambda: "\u26a0 refresh failed" in panel.status.value
              or "no manager" in panel.picture.value.lower()
              or "stopped" in panel.picture.value, 40)
        assert panel.polling
    finally:
        lab.start("manager1")
    until("a clean refresh", lambda: "refresh failed" not in panel.status.value
          and "3/3 nodes ready" in panel.picture.value, 90)


def test_closing_the_panel_stops_its_polling(lab: swarmlab.Lab) -> None:
    p = watch(lab, interval=0.2)
    until("a refresh", lambda: p.refreshes >= 1, 20)
    p.close()
    until("the thread to end", lambda: not p.polling, 5)
    count = p.refreshes
    time.sleep(1.0)
    assert p.refreshes == count
    assert "stopped watching" in p.status.value
    assert all(b.disabled for b in p.buttons.values())


def _trivial_latencies(seconds: float = 3.0) -> list[float]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    out: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        shell.run_cell("x = sum(range(1000))", silent=True)
        out.append(time.perf_counter() - t)
        time.sleep(0.005)
    return out


def test_polling_does_not_make_cells_sluggish(lab: swarmlab.Lab, capsys: Any) -> None:
    quiet = _trivial_latencies()
    p = watch(lab, interval=0.25)
    until("a refresh", lambda: p.refreshes >= 1, 20)
    try:
        busy = _trivial_latencies()
        refreshes = p.refreshes
    finally:
        p.close()
    assert refreshes >= 5
    q50, b50 = statistics.median(quiet), statistics.median(busy)
    b99 = sorted(busy)[int(len(busy) * 0.99)]
    with capsys.disabled():
        print(f"\n[viz] trivial cell: median {q50 * 1e3:.2f} ms idle, {b50 * 1e3:.2f} ms while "
              f"polling every 0.25s (p99 {b99 * 1e3:.2f} ms, {refreshes} refreshes, "
              f"last refresh {p.last_refresh_s:.2f}s)")
    assert b50 < q50 + 0.005 and b99 < 0.1  # p99 also feels the other labs on this host


def test_the_timeline_shows_a_real_rolling_update_in_batches(lab: swarmlab.Lab) -> None:
    m = lab.node("manager1")
    m.run("docker service create -q --name roll --replicas 4 --update-parallelism 2 "
          "--update-delay 2s swarmlab/web:v1", timeout=120).check()
    m.run("docker service update -q --image swarmlab/web:v2 roll", timeout=180).check()
    try:
        snap = lab.snapshot()
        tl = timeline(snap, "roll")
        # Swarm runs --update-parallelism 2 as two workers, each replacing a task and then
        # waiting --update-delay on its own: the batches are not in lockstep, so under load
        # a "batch" can show as two waves. What always holds: the first wave is the 4 v1
        # tasks, then no wave has more than 2 v2 tasks, and each worker's second task comes
        # 2 s or more after its first (sorted: t3 >= t1 + 2 and t4 >= t2 + 2).
        assert tl.waves[0].label == "4\u00d7v1"
        later = tl.waves[1:]
        assert {tag(i) for w in later for i in w.images} == {"v2"}
        assert sum(len(w.task_ids) for w in later) == 4
        assert all(len(w.task_ids) <= 2 for w in later), [w.label for w in later]
        created = sorted(b.created for b in tl.bars if b.tag == "v2")
        assert created[2] - created[0] >= 2.0 and created[3] - created[1] >= 2.0, created
        assert len(tl.rows) == 4
        assert all([b.tag for b in tl.bars if b.row == r] == ["v1", "v2"] for r in tl.rows)
        assert "roll.4" in tl.svg and "\u00d7v2 (+" in tl.svg
        assert lab.timeline("roll").waves == tl.waves  # the Lab's shortcut draws the same
        assert "<b>roll.1</b>" in topology(snap).source
    finally:
        m.run("docker service rm roll")


def _round_trips(kc: Any, n: int = 30) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        kc.execute_interactive("1 + 1", timeout=10, output_hook=lambda _m: None)
        out.append(time.perf_counter() - t)
    return out


def test_in_a_real_kernel_the_panel_updates_while_a_cell_runs(
    lab: swarmlab.Lab, capsys: Any
) -> None:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        setup = f"import time, swarmlab\nlab = swarmlab.Lab.connect({LAB!r})"
        assert kc.execute_interactive(setup, timeout=60)["content"]["status"] == "ok"
        idle = _round_trips(kc)
        start = "p = lab.watch(interval=0.5)\ndisplay(p)\nwhile not p.refreshes: time.sleep(0.1)"
        reply = kc.execute_interactive(start, timeout=60, output_hook=lambda _m: None)
        assert reply["content"]["status"] == "ok"
        updates = []

        def count(msg: dict[str, Any]) -> None:
            data = msg["content"].get("data", {})
            if msg["msg_type"] == "comm_msg" and data.get("method") == "update":
                updates.append(data["state"])

        kc.execute_interactive("time.sleep(3)", output_hook=count, timeout=30)
        statuses = [u for u in updates if "updated" in str(u.get("value", ""))]
        assert statuses, "no status update reached the front end while the cell ran"
        busy = _round_trips(kc)
        reply = kc.execute_interactive("p.close(); time.sleep(1); assert not p.polling")
        assert reply["content"]["status"] == "ok"
        with capsys.disabled():
            print(f"\n[viz] real kernel: {len(statuses)} status updates reached the front end "
                  f"during a 3 s cell; `1 + 1` round trip median "
                  f"{statistics.median(idle) * 1e3:.1f} ms idle, "
                  f"{statistics.median(busy) * 1e3:.1f} ms (max {max(busy) * 1e3:.1f} ms) "
                  "while polling every 0.5 s")
        assert statistics.median(busy) < statistics.median(idle) + 0.05
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_clearing_the_last_view_stops_polling(lab: swarmlab.Lab) -> None:
    p = watch(lab, interval=0.2)
    p._view_count = 1  # what the front end reports when the panel is shown ...
    until("a refresh", lambda: p.refreshes >= 1, 20)
    assert p.polling
    p._view_count = 0  # ... and when its output is cleared or the cell is run again
    until("the thread to end", lambda: not p.polling, 5)
