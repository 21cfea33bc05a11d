"""Shared test set-up: every lab a test makes is removed after, and the integration tests
name theirs with ``lab_name("t-core")`` -> ``t-core-<run suffix>``, so two test runs on
one host engine never build, reshape or delete each other's labs."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swarmlab.spec import NAME_RE

SUFFIX_ENV, PREFIX_ENV = "SWARMLAB_TEST_SUFFIX", "SWARMLAB_TEST_PREFIX"
LANE_ENV = "SWARMLAB_TEST_LANE"  # the name of a lane that is a pytest of its own: vm
_SUFFIX_RE = re.compile(r"^[a-z0-9]{0,6}$")
_PREFIX_RE = re.compile(r"^([a-z][a-z0-9-]{0,3})?$")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int) -> str:
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = _DIGITS[d] + out
        if not n:
            return out


def _from_env(var: str, rule: re.Pattern[str], default: str, what: str) -> str:
    raw = os.environ.get(var)
    value = default if raw is None else raw.strip().lower()
    if not rule.match(value):
        raise ValueError(f"${var} must be {what}, not {raw!r}")
    return value


def run_suffix() -> str:
    """This run's suffix: $SWARMLAB_TEST_SUFFIX (0-6 of a-z0-9; empty: none), else this
    process's id in base 36 (at most 5 characters). A chosen suffix gets the pytest-xdist
    worker's number added (``ci4`` -> ``ci42`` in worker gw2), or the first letter of
    $SWARMLAB_TEST_LANE in a lane that is a pytest of its own (``ci4v`` in test.sh's VM
    lane), so the lanes of one run never share a lab."""
    chosen = _from_env(SUFFIX_ENV, _SUFFIX_RE, "", "0 to 6 of a-z and 0-9")
    if os.environ.get(SUFFIX_ENV) is None:
        return _base36(os.getpid())
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker[2:].isdigit():
        return chosen + _base36(int(worker[2:]))
    lane = os.environ.get(LANE_ENV, "")  # a lane of its own process (test.sh's VM lane: v)
    return chosen + (lane[0] if lane[:1].isalpha() and lane.isascii() else "").lower()


def run_prefix() -> str:
    """An optional prefix for every test lab: $SWARMLAB_TEST_PREFIX (a letter, then up to 3
    of a-z0-9-), e.g. to keep one's runs apart from a shared host's other users."""
    return _from_env(PREFIX_ENV, _PREFIX_RE, "", "a letter then up to 3 of a-z, 0-9 and -")


SUFFIX, PREFIX = run_suffix(), run_prefix()


def lab_name(base: str) -> str:
    """``base`` (``t-core``, ``hl5-chk``, ...) made this run's own: ``t-core-1x2y3`` (and
    ``<prefix>t-core-1x2y3`` with a prefix). It must stay a lab name (at most 24
    characters): a base of up to 14 fits with a 4-character prefix and a 5-character suffix."""
    name = PREFIX + base + (f"-{SUFFIX}" if SUFFIX else "")
    if not NAME_RE.match(name):
        raise ValueError(f"test lab {base!r} would be named {name!r}: not a lab name "
                         "(a-z, 0-9 and -, at most 24 characters)")
    return name


def pytest_report_header(config: pytest.Config) -> str:
    return f"swarmlab test labs: t-core -> {lab_name('t-core')} (${PREFIX_ENV}, ${SUFFIX_ENV})"


# ----- tiers and lanes ---------------------------------------------------------------------
# A tier is a folder of tests/. Under pytest-xdist (`./test.sh`: `-n N`), each test module
# is one unit of work (its module-scoped cluster is made once), sent to whichever lane is
# free, except that the CPU-bound tiers share one lane (their qemu/libvirt VMs would starve
# each other: the learner's-host guest, run beside the Vagrant VMs, saw its node container
# restart in the middle of `swarmlab up`) and a notebook on a cluster of its own is a unit
# by itself. In the VM lane the hostvm guest comes last, when the dind lanes are done.
TIERS = ("unit", "integration", "notebooks", "browser", "classroom", "vm", "vagrant", "hostvm")
VM_LANE = ("vm", "vagrant", "hostvm")
# Longest work first (the lane that starts last ends last): VMs, then the notebooks, ...
TIER_ORDER = ("vm", "vagrant", "hostvm", "notebooks", "classroom", "browser", "integration",
              "unit")


def tier_of(nodeid: str) -> str:
    """``tests/vm/test_x.py::t`` -> ``vm`` (``other`` outside the known tiers)."""
    parts = nodeid.replace("\\", "/").split("/")
    if "tests" in parts:
        parts = parts[parts.index("tests") + 1:]
    return parts[0] if parts and parts[0] in TIERS else "other"


SOLO_MODULES = ("tests/notebooks/test_first_labs.py",)  # each test has its own cluster


def unit_of_work(nodeid: str) -> str:
    """The xdist unit a test belongs to: ``vm-lane``, ``unit``, its module, or itself."""
    tier = tier_of(nodeid)
    if tier in VM_LANE:
        return "vm-lane"
    if tier == "unit":
        return "unit"  # seconds in all: one unit of work
    module = nodeid.split("::")[0]
    return nodeid if module.endswith(SOLO_MODULES) else module


class LaneScheduling:
    """pytest-xdist's scope scheduling with our units of work (see ``unit_of_work``).

    (xdist's own ``loadgroup`` renames node ids through a private attribute that pytest
    9.2 no longer reads, so groups are computed here from the node id instead.)"""

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        from xdist.scheduler import LoadScopeScheduling

        class Lanes(LoadScopeScheduling):  # type: ignore[misc]
            def _split_scope(self, nodeid: str) -> str:
                return unit_of_work(nodeid)

        return Lanes(config, log)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(LaneScheduling(), "swarmlab-lanes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # Integration tests need the host engine; a missing one is a failure, not a skip.
        if tier_of(item.nodeid) == "integration":
            item.add_marker(pytest.mark.integration)

    def rank(item: pytest.Item) -> int:
        tier = tier_of(item.nodeid)
        return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)

    items.sort(key=rank)  # stable: a module keeps its own order


@pytest.fixture(scope="session", autouse=True)
def _shared_clusters_down() -> Iterator[None]:
    """The shared test clusters (tests/integration/conftest.shared_lab) go at the end."""
    yield
    import sys

    shared = sys.modules.get("tests.integration.conftest")
    if shared is not None:
        shared.delete_shared()


def answered_status(lab: Any, timeout: float = 120.0) -> dict[str, dict[str, str]]:
    """``lab.status()`` by node, read again until the swarm answered for every node: on an
    emulated (TCG) VM under load, ``docker node ls`` can take longer than the kit's 10 s
    for a status line, which then shows ``-``."""
    from swarmlab import wait

    return wait.until(lambda: {r["node"]: r for r in lab.status()},
                      what="the swarm's view of every node", timeout=timeout, interval=5,
                      ok=lambda rows: all(r["status"] != "-" for r in rows.values()))


def port_free(port: int) -> bool:
    """Whether ``port`` on 127.0.0.1 can be bound now."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int = 1, *, copies: tuple[int, ...] = (0,)) -> int:
    """The first of ``count`` consecutive ports on 127.0.0.1 that are free now (and free at
    each offset in ``copies`` too). Chosen at random below the kernel's ephemeral range:
    outgoing connections take their ports there, and one could take a port between this
    check and its use (CI saw that happen to a class's hub port)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    top = min(low, 32768) - max(copies) - count
    for _ in range(500):
        first = random.randrange(20000, top)
        if all(port_free(first + off + i) for off in copies for i in range(count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports between 20000 and {top}")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A module's own kit cache ($SWARMLAB_CACHE: keys, known hosts, records), put back after."""
    old = os.environ.get("SWARMLAB_CACHE")
    os.environ["SWARMLAB_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("SWARMLAB_CACHE", None)
    else:
        os.environ["SWARMLAB_CACHE"] = old


# ----- signals ------------------------------------------------------------------------------
def sigint_default() -> None:
    """For ``Popen(preexec_fn=...)``: a child started from a background job inherits SIGINT
    as ignored (and Python then installs no KeyboardInterrupt handler); give it the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def sigint_handled() -> Iterator[None]:
    """This process turns SIGINT into KeyboardInterrupt for the test, however pytest was
    started (`./test.sh &` and nohup start it with SIGINT ignored)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


# ----- how long each tier took ------------------------------------------------------------
TIMES_ENV = "SWARMLAB_TEST_TIMES"  # a JSON-lines file the tier table is also written to
SPANS_ENV = "SWARMLAB_TEST_SPANS"  # JSON lines: each test phase, its lane and times
_SPANS: dict[str, list[tuple[float, float, float]]] = {}
_COUNTS: dict[str, dict[str, int]] = {}
_LANES: dict[str, dict[str, Any]] = {}  # xdist worker -> first start, last end, busy, tiers


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = tier_of(report.nodeid)
    start, stop = getattr(report, "start", 0.0), getattr(report, "stop", 0.0)
    _SPANS.setdefault(tier, []).append((start, stop, report.duration))
    worker = (getattr(getattr(getattr(report, "node", None), "gateway", None), "id", None)
              or os.environ.get(LANE_ENV) or None)
    if worker and stop:
        lane = _LANES.setdefault(worker, {"start": start, "stop": stop, "busy": 0.0,
                                          "tiers": []})
        lane["start"], lane["stop"] = min(lane["start"], start), max(lane["stop"], stop)
        lane["busy"] += report.duration
        if tier not in lane["tiers"]:
            lane["tiers"].append(tier)
    spans = os.environ.get(SPANS_ENV)
    if spans and stop and not os.environ.get("PYTEST_XDIST_WORKER"):  # the controller writes
        with open(spans, "a") as f:
            f.write(json.dumps({"test": report.nodeid, "when": report.when, "lane": worker,
                                "start": round(start, 1), "stop": round(stop, 1),
                                "outcome": report.outcome}) + "\n")
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = report.outcome
        counts = _COUNTS.setdefault(tier, {})
        counts[outcome] = counts.get(outcome, 0) + 1
    elif report.when == "teardown" and report.failed:
        counts = _COUNTS.setdefault(tier, {})
        counts["error"] = counts.get("error", 0) + 1


def tier_rows() -> list[dict[str, object]]:
    rows = []
    for tier in sorted(_SPANS, key=lambda t: TIERS.index(t) if t in TIERS else 99):
        spans = [s for s in _SPANS[tier] if s[1]]
        wall = max(s[1] for s in spans) - min(s[0] for s in spans) if spans else 0.0
        rows.append({"tier": tier, "wall": round(wall, 1),
                     "busy": round(sum(s[2] for s in _SPANS[tier]), 1),
                     **_COUNTS.get(tier, {})})
    return rows


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not _SPANS:
        return  # an xdist worker: the controller prints the table
    rows = tier_rows()
    terminalreporter.section("time per tier (wall: first start to last end; busy: sum of tests)")
    for r in rows:
        outcomes = ", ".join(f"{r[k]} {k}" for k in ("passed", "failed", "skipped", "error")
                             if r.get(k))
        terminalreporter.write_line(
            f"{r['tier']:<12} wall {_mmss(float(r['wall']))}  busy {_mmss(float(r['busy']))}"
            f"  {outcomes}")
    if _LANES:  # where the parallel lanes' time went: the longest one is the run's
        t0 = min(lane["start"] for lane in _LANES.values())
        terminalreporter.write_line("lanes (from the first test's start):")
        for worker, lane in sorted(_LANES.items()):
            terminalreporter.write_line(
                f"  {worker:<4} {_mmss(lane['start'] - t0).strip()} to "
                f"{_mmss(lane['stop'] - t0).strip():>5}  busy {_mmss(lane['busy'])}  "
                f"{', '.join(lane['tiers'])}")
    out = os.environ.get(TIMES_ENV)
    if out:
        with open(out, "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


def _mmss(seconds: float) -> str:
    return f"{int(seconds // 60):3d}:{int(seconds % 60):02d}"


@pytest.fixture(autouse=True, scope="session")
def _test_progress_db(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Verdicts and events the tests make (and the kernels they start) go to a database of
    this run, never the user's ($SWARMLAB_PROGRESS_DB, unless the caller set one)."""
    from swarmlab.records import DB_ENV

    if not os.environ.get(DB_ENV):
        os.environ[DB_ENV] = str(tmp_path_factory.mktemp("records") / "progress.sqlite")
