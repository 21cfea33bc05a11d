"""Shared test set-up: every lab a test makes is removed after, and the integration tests
name theirs with ``lab_name("t-core")`` -> ``t-core-<run suffix>``, so two test runs on
one host engine never build, reshape or delete each other's labs."""

from __future__ import annotations

import os
import re

import pytest

from swarmlab.spec import NAME_RE

SUFFIX_ENV, PREFIX_ENV = "SWARMLAB_TEST_SUFFIX", "SWARMLAB_TEST_PREFIX"
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
    process's id in base 36 (at most 5 characters)."""
    return _from_env(SUFFIX_ENV, _SUFFIX_RE, _base36(os.getpid()), "0 to 6 of a-z and 0-9")


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Integration tests need the host engine; a missing one is a failure, not a skip.
    for item in items:
        if "integration" in str(item.fspath).replace("\\", "/").split("/tests/")[-1]:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True, scope="session")
def _test_progress_db(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Verdicts and events the tests make (and the kernels they start) go to a database of
    this run, never the user's ($SWARMLAB_PROGRESS_DB, unless the caller set one)."""
    from swarmlab.records import DB_ENV

    if not os.environ.get(DB_ENV):
        os.environ[DB_ENV] = str(tmp_path_factory.mktemp("records") / "progress.sqlite")
