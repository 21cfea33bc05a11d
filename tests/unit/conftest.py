"""Unit tests never touch the user's progress database: each test gets its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmlab.records import DB_ENV


@pytest.fixture(autouse=True)
def _own_progress_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "progress.sqlite"
    monkeypatch.setenv(DB_ENV, str(path))
    return path


@pytest.fixture(autouse=True)
def _english_unless_asked(monkeypatch: pytest.MonkeyPatch) -> object:
    """Messages in English whatever the shell says; a test that sets a language gets it
    reset after it."""
    from swarmlab import i18n

    monkeypatch.delenv(i18n.ENV, raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)
