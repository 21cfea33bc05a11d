"""The live panel's buttons, tooltips and status line speak the learner's language."""

from __future__ import annotations

import pytest

from swarmlab.viz.widgets import LivePanel
from tests.fixtures.recorded import fake_lab


def test_the_live_panel_is_labelled_in_korean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWARMLAB_LANG", "ko")
    panel = LivePanel(fake_lab(), interval=60)
    try:
        assert panel.node.description == "노드"
        assert [panel.buttons[n].description for n in ("stop", "start", "drain")] == \
            ["끄기", "켜기", "드레인"]
        assert "스웜" in panel.buttons["stop"].tooltip
        panel._show(took=0.1)
        assert "실시간, 60초마다" in panel.status.value
    finally:
        panel.close()
    assert "지켜보기를 멈췄습니다" in panel.status.value


def test_the_live_panel_stays_english_by_default() -> None:
    panel = LivePanel(fake_lab(), interval=60)
    try:
        assert panel.buttons["stop"].description == "stop" and panel.node.description == "node"
        panel._show(took=0.1)
        assert "live, every 60s" in panel.status.value
    finally:
        panel.close()
    assert "stopped watching" in panel.status.value
