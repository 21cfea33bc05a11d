"""The ``--privileged`` probe leaves no container, even when Ctrl-C lands while the engine
is making it (run 21 of the suite found one left by the Ctrl-C-at-each-step test)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from swarmlab.providers.dind import machines


class FakeApi:
    def __init__(self, interrupt_at: str = "", listed: list[dict[str, Any]] | None = None):
        self.interrupt_at, self.listed = interrupt_at, listed or []
        self.made: set[str] = set()
        self.removed: list[str] = []

    def containers(self, all: bool, filters: dict[str, str]) -> list[dict[str, Any]]:
        assert all and filters == {"label": "io.swarmlab.kind=probe"}
        return self.listed

    def create_host_config(self, **kw: Any) -> dict[str, Any]:
        return kw

    def create_container(self, image: str, name: str, **kw: Any) -> dict[str, str]:
        self.made.add(name)  # the engine makes it even if the caller is interrupted
        if self.interrupt_at == "create":
            raise KeyboardInterrupt
        return {"Id": "id-" + name}

    def start(self, name: str) -> None:
        if self.interrupt_at == "start":
            raise KeyboardInterrupt

    def wait(self, name: str, timeout: float) -> dict[str, int]:
        return {"StatusCode": 0}

    def remove_container(self, ref: str, v: bool, force: bool) -> None:
        self.removed.append(ref)
        self.made.discard(ref)


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api


def test_the_probe_answers_and_removes_its_container() -> None:
    api = FakeApi()
    assert machines._probe_privileged(FakeClient(api)) is True
    assert api.made == set() and len(api.removed) == 1


@pytest.mark.parametrize("where", ["create", "start"])
def test_an_interrupt_still_removes_the_probe_by_its_name(where: str) -> None:
    api = FakeApi(interrupt_at=where)
    with pytest.raises(KeyboardInterrupt):
        machines._probe_privileged(FakeClient(api))
    assert api.made == set(), "the probe container outlived the interrupt"


def test_probes_left_by_an_earlier_interrupt_are_removed_and_live_ones_kept() -> None:
    now = time.time()
    api = FakeApi(listed=[{"Id": "old", "Created": now - 3600},
                          {"Id": "running-beside", "Created": now - 2}])
    machines._probe_privileged(FakeClient(api))
    assert "old" in api.removed and "running-beside" not in api.removed
