"""Test lab names carry this run's suffix (and an optional prefix) and stay lab names."""

from __future__ import annotations

import os

import pytest

from swarmlab.spec import NAME_RE
from tests import conftest
from tests.conftest import lab_name, run_prefix, run_suffix


def test_the_default_suffix_is_the_process_id_in_base_36(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SWARMLAB_TEST_SUFFIX", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert int(run_suffix(), 36) == os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: 4194304)  # Linux's largest pid_max
    assert run_suffix() == "2hwcg"
    monkeypatch.setattr(os, "getpid", lambda: 0)
    assert run_suffix() == "0"


def test_the_suffix_and_prefix_can_be_chosen_and_are_checked(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("SWARMLAB_TEST_LANE", raising=False)
    monkeypatch.setenv("SWARMLAB_TEST_SUFFIX", "Ci42")
    assert run_suffix() == "ci42"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")  # each lane has its own labs
    assert run_suffix() == "ci422"
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    monkeypatch.setenv("SWARMLAB_TEST_LANE", "vm")  # test.sh's VM lane, a pytest of its own
    assert run_suffix() == "ci42v"
    monkeypatch.delenv("SWARMLAB_TEST_LANE")
    monkeypatch.setenv("SWARMLAB_TEST_SUFFIX", "")
    assert run_suffix() == ""
    monkeypatch.setenv("SWARMLAB_TEST_PREFIX", "hq")
    assert run_prefix() == "hq"
    monkeypatch.delenv("SWARMLAB_TEST_PREFIX")
    assert run_prefix() == ""
    for var, bad in (("SWARMLAB_TEST_SUFFIX", "a-b"), ("SWARMLAB_TEST_SUFFIX", "1234567"),
                     ("SWARMLAB_TEST_PREFIX", "1x"), ("SWARMLAB_TEST_PREFIX", "toolong")):
        monkeypatch.setenv(var, bad)
        with pytest.raises(ValueError, match=var):
            run_suffix() if var.endswith("SUFFIX") else run_prefix()
        monkeypatch.delenv(var)


def test_names_get_the_prefix_and_suffix_and_stay_lab_names(monkeypatch: pytest.MonkeyPatch):
    assert lab_name("t-core") == f"{conftest.PREFIX}t-core" + (
        f"-{conftest.SUFFIX}" if conftest.SUFFIX else "")
    monkeypatch.setattr(conftest, "PREFIX", "hq")
    monkeypatch.setattr(conftest, "SUFFIX", "2hwcg")
    assert lab_name("t-core") == "hqt-core-2hwcg"
    longest = lab_name("t-nothing-here")
    assert NAME_RE.match(longest) and len(longest) <= 24
    monkeypatch.setattr(conftest, "PREFIX", "")
    monkeypatch.setattr(conftest, "SUFFIX", "")
    assert lab_name("hl5-chk") == "hl5-chk"
    with pytest.raises(ValueError, match="not a lab name"):
        lab_name("t-" + "x" * 30)
