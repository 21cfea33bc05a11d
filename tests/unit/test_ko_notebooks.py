"""The Korean edition (labs/ko/) runs exactly the English edition's code: only prose and
comment lines are translated, so a translation cannot drift from the checked code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

LABS = Path(__file__).resolve().parents[2] / "labs"
KO = LABS / "ko"
LAB_NOTEBOOK = re.compile(r"^\d\d-[\w-]+\.ipynb$")
ENGLISH = sorted(p.name for p in LABS.glob("*.ipynb") if LAB_NOTEBOOK.match(p.name))
KOREAN = sorted(p.name for p in KO.glob("*.ipynb")) if KO.is_dir() else []


def _cells(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["cells"])


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _code(cell: dict[str, Any]) -> list[str]:
    """The cell's lines, less those that are entirely a comment (those are translated)."""
    return [ln.rstrip() for ln in _source(cell).splitlines() if not ln.lstrip().startswith("#")]


def differences(english: Path, korean: Path) -> list[str]:
    """Where the Korean notebook's cells differ from the English one's beyond prose."""
    en, ko = _cells(english), _cells(korean)
    if len(en) != len(ko):
        return [f"{len(ko)} cells, the English notebook has {len(en)}"]
    out = []
    for i, (a, b) in enumerate(zip(en, ko, strict=True)):
        where = f"cell {i} ({a.get('id', '?')})"
        if a["cell_type"] != b["cell_type"]:
            out.append(f"{where}: a {b['cell_type']} cell, in English a {a['cell_type']} cell")
            continue
        if a.get("id") != b.get("id"):
            out.append(f"{where}: id {b.get('id')!r}, in English {a.get('id')!r}")
        tags = [a.get("metadata", {}).get("tags", []), b.get("metadata", {}).get("tags", [])]
        if tags[0] != tags[1]:
            out.append(f"{where}: tags {tags[1]}, in English {tags[0]}")
        if a["cell_type"] == "code" and _code(a) != _code(b):
            out.append(f"{where}: its code differs from the English cell's (only lines that "
                       "are entirely a comment may be translated)")
    return out


@pytest.mark.parametrize("name", KOREAN or ["(none yet)"])
def test_a_korean_notebook_has_the_english_cells_code_and_tags(name: str) -> None:
    if not KOREAN:
        pytest.skip("labs/ko/ has no notebook yet")
    assert LAB_NOTEBOOK.match(name), f"labs/ko/{name} is not a lab notebook (NN-name.ipynb)"
    english = LABS / name
    assert english.exists(), f"labs/ko/{name} has no English notebook labs/{name}"
    found = differences(english, KO / name)
    assert not found, f"labs/ko/{name}:\n" + "\n".join(found)


def test_every_english_lab_has_a_korean_edition() -> None:
    missing = [n for n in ENGLISH if n not in KOREAN]
    assert not missing, f"labs/ko/ lacks {len(missing)} of {len(ENGLISH)} labs: " \
        + ", ".join(missing)


def test_the_comparison_sees_changed_code(tmp_path: Path) -> None:
    english = LABS / "03-services.ipynb"
    nb = json.loads(english.read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"] = "# 한국어 주석\n" + _source(code)  # a translated comment: fine
    (tmp_path / "same.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    assert differences(english, tmp_path / "same.ipynb") == []
    code["source"] = _source(code).replace("start_lab", "start_lab ")
    code["metadata"]["tags"] = ["check"]
    (tmp_path / "drift.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    found = differences(english, tmp_path / "drift.ipynb")
    assert any("code differs" in f for f in found) and any("tags" in f for f in found)
