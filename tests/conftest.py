"""Shared test set-up: every lab a test makes is named ``t-...`` and removed after."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Integration tests need the host engine; a missing one is a failure, not a skip.
    for item in items:
        if "integration" in str(item.fspath).replace("\\", "/").split("/tests/")[-1]:
            item.add_marker(pytest.mark.integration)
