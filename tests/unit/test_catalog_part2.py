"""The Korean catalog fragment of labs 06-15's checks (swarmlab-part2.po, merged into
swarmlab.po at merge time): it holds every message those checks mark, each translated,
with the same placeholders as the English, and it compiles."""

from __future__ import annotations

import gettext
import io
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import swarmlab

PART2 = Path(swarmlab.__file__).parent / "locale/ko/LC_MESSAGES/swarmlab-part2.po"
CHECKS = Path(swarmlab.__file__).parent / "checks"
LABS = sorted(p for p in CHECKS.glob("lab*.py") if 6 <= int(p.stem[3:5]) <= 15)

pytestmark = pytest.mark.skipif(not PART2.exists(),
                                reason="swarmlab-part2.po was merged into swarmlab.po")


def part2() -> Catalog:
    with PART2.open("rb") as fh:
        return read_po(fh)


def compiled() -> gettext.GNUTranslations:
    """The fragment as gettext reads a compiled catalog."""
    buf = io.BytesIO()
    write_mo(buf, part2())
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def _messages() -> list[Message]:
    return [m for m in part2() if m.id]


def _fields(text: str) -> set[str]:
    """``{name}``, ``{name:.1f}``, ``{name!r}`` of a str.format template."""
    return {f"{name}!{conv or ''}:{spec or ''}"
            for _, name, spec, conv in string.Formatter().parse(text) if name is not None}


def test_every_message_the_checks_of_labs_06_15_mark_is_in_the_fragment():
    marked = {msg if isinstance(msg, str) else msg[0]
              for lab in LABS for _, msg, _, _ in extract_from_file("python", str(lab))}
    held = {m.id if isinstance(m.id, str) else m.id[0] for m in _messages()}
    assert marked - held == set(), "run pybabel extract over lab06-15 and translate"
    assert held - marked == set(), "messages no check marks any more"
    assert len(held) > 400


def test_every_message_is_translated():
    empty = [m.id for m in _messages()
             if m.fuzzy or not all(s.strip() for s in
                                   (m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert empty == []


def _placeholder_problems(msg: Message) -> list[str]:
    ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
    strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
    want = _fields(ids[0])
    problems = [english for english in ids[1:] if _fields(english) != want]
    for korean in strings:
        try:  # braces balanced, every field one the English has
            korean.format(**dict.fromkeys({f.split("!")[0] for f in want}, 1))
        except (KeyError, IndexError, ValueError):
            problems.append(korean)
            continue
        if _fields(korean) != want:
            problems.append(korean)
    return problems


def test_every_translation_has_the_english_placeholders():
    wrong = [p for m in _messages() for p in _placeholder_problems(m)]
    assert wrong == []


def test_a_translation_that_drops_a_placeholder_is_caught():
    msg = Message("{node} is {have}, not {want}.", "{node} 노드가 {have} 상태입니다.")
    assert _placeholder_problems(msg) == ["{node} 노드가 {have} 상태입니다."]


def test_the_fragment_compiles_and_answers_in_korean():
    ko = compiled()
    assert ko.gettext("Drain a node") == "노드 드레인하기"
    assert ko.ngettext("{name} does not hold the line {lines}.",
                       "{name} does not hold the lines {lines}.", 2) == "{name}에 {lines} 줄이 없습니다."
