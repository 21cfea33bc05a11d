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
