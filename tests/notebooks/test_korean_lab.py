"""The Korean edition runs both ways too: ``labs/ko/03-services.ipynb``, its kernel in
``labs/ko/`` as JupyterLab starts it, FAILs as shipped and PASSes with lab 03's solutions,
and its checks say so in Korean with nothing in the notebook's code asking for it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import lab_name
from tests.notebooks.conftest import notebook_cluster
from tests.notebooks.harness import LABS, NotebookRun, both_ways, tagged

pytestmark = pytest.mark.notebooks

KOREAN_03 = LABS / "ko" / "03-services.ipynb"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
BADGE = {"shipped": ">실패</span>", "solutions": ">통과</span>"}


def speaks_korean(run: NotebookRun) -> list[str]:
    """Every verdict's message (and hint) in Korean, every badge with the Korean word."""
    found = [f"{c.id} is not in Korean: {c}" for c in run.checks
             if not HANGUL.search(c.message) or (c.hint and not HANGUL.search(c.hint))]
    for i, cell in tagged(run.notebook, "check").items():
        html = " ".join(str(o.get("data", {}).get("text/html", "")) for o in cell.outputs)
        if BADGE[run.mode] not in html:
            found.append(f"check cell {i} shows no {BADGE[run.mode]!r} badge: {html[:300]!r}")
    return found


@pytest.fixture
def ko_lab() -> Iterator[str]:
    yield from notebook_cluster(lab_name("nbko03"))


def test_korean_lab_03_fails_as_shipped_and_passes_with_solutions_in_korean(ko_lab: str) -> None:
    found = both_ways(KOREAN_03, ko_lab, also=speaks_korean)
    assert not found, "\n".join(found)
