"""Notebook tests: each lab runs on its own ``nbNN-<run suffix>`` cluster, deleted at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import PREFIX, lab_name
from tests.integration.conftest import NOTHING, leftovers


def delete_lab(name: str) -> None:
    """Remove every container, network and volume of test lab ``name`` (never another)."""
    from swarmlab.providers import get_provider

    assert name.startswith(PREFIX + "nb"), name
    get_provider("dind").delete(name)


def notebook_cluster(name: str) -> Iterator[str]:
    """For a module's fixture: test lab ``name`` fresh before its notebooks, gone after."""
    delete_lab(name)  # a crashed earlier run must not leave state (lab 00 reads history)
    yield name
    delete_lab(name)
    assert leftovers(name) == NOTHING


@pytest.fixture
def nb_lab(request: pytest.FixtureRequest) -> Iterator[str]:
    """A test lab name ``nbNN`` (NN from the test's parameter), fresh before and gone after."""
    yield from notebook_cluster(lab_name("nb" + str(request.node.callspec.params["notebook"])[:2]))
