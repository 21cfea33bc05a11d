"""The Korean edition's machinery: the catalog is compiled and complete, the language is
chosen in the documented order, and a check speaks Korean on a recorded snapshot."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from swarmlab import i18n
from swarmlab.checks import Status
from swarmlab.checks.results import CheckResult, Report
from tests.unit.evidence import judge

PACKAGE = Path(i18n.__file__).parent
HANGUL = re.compile(r"[\uac00-\ud7a3]")
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def _fields(text: str) -> set[str]:
    """The ``{name}`` fields of a format string (``{{`` and ``}}`` are literal braces)."""
    return set(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


def _po(lang: str):  # noqa: ANN202 (babel's Catalog)
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as f:
        return read_po(f, locale=lang)


def _extracted() -> dict[str | tuple[str, ...], str]:
    """Every message marked in swarmlab/ (as ``pybabel extract`` finds it) -> where."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: dict[str | tuple[str, ...], str] = {}
    for file, line, msg, _comments, _ctx in extract_from_dir(
            str(PACKAGE), [("**.py", "python")], keywords=keywords):
        found.setdefault(msg, f"{file}:{line}")
    return found


# ----- the catalogs -----------------------------------------------------------------------
@pytest.mark.parametrize("lang", [x for x in i18n.available_languages() if x != "en"])
def test_every_marked_message_has_a_translation(lang: str) -> None:
    catalog = _po(lang)
    missing = []
    for msgid, where in _extracted().items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        strings = [] if entry is None else (
            list(entry.string) if isinstance(entry.string, tuple) else [entry.string])
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{where}: {key!r}")
    assert not missing, f"{len(missing)} messages untranslated in {lang} " \
        "(scripts/i18n.sh, then translate):\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", [x for x in i18n.available_languages() if x != "en"])
def test_translations_keep_the_placeholders(lang: str) -> None:
    wrong = []
    for m in _po(lang):
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = _fields(ids[-1])
        wrong += [f"{ids[0]!r} -> {s!r}" for s in strings if s and _fields(s) != want]
    assert not wrong, "\n".join(wrong)


def test_messages_use_named_placeholders_only() -> None:
    positional = [f"{where}: {m!r}" for m, where in _extracted().items()
                  for s in (m if isinstance(m, tuple) else (m,)) if "" in _fields(s)]
    assert not positional, "\n".join(positional)


def _messages(mo: bytes) -> dict[object, str]:
    """What a compiled catalog translates (its header, which names Babel's version, left out)."""
    found = dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)  # type: ignore[attr-defined]
    found.pop("", None)
    return found


@pytest.mark.parametrize("lang", [x for x in i18n.available_languages() if x != "en"])
def test_the_committed_mo_is_compiled_from_the_po(lang: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _po(lang))
    mo = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    assert _messages(mo.read_bytes()) == _messages(compiled.getvalue()), \
        f"{mo} is not the compiled {mo.with_suffix('.po').name}: run scripts/i18n.sh"


def test_korean_is_available() -> None:
    assert i18n.available_languages()[0] == "en" and "ko" in i18n.available_languages()


# ----- choosing the language --------------------------------------------------------------
def _labs(tmp_path: Path) -> Path:
    (tmp_path / "labs" / "ko").mkdir(parents=True)
    (tmp_path / "labs" / "00-welcome.ipynb").write_text("{}")
    return tmp_path / "labs"


def test_english_by_default_and_an_untranslated_message_stays_english(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert i18n.current_language() == "en"
    assert i18n._("PASS") == "PASS"
    i18n.set_language("ko")
    assert i18n._("no such message, not in any catalog") == "no such message, not in any catalog"
    assert i18n._("") == ""


def test_the_environment_chooses_and_set_language_overrides_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SWARMLAB_LANG", "ko_KR.UTF-8")
    assert i18n.current_language() == "ko" and i18n._("PASS") == "통과"
    i18n.set_language("en")
    assert i18n.current_language() == "en" and i18n._("PASS") == "PASS"
    i18n.set_language(None)
    assert i18n.current_language() == "ko"


def test_an_unknown_language_is_english_without_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SWARMLAB_LANG", "xx")
    assert i18n.current_language() == "en"
    i18n.set_language("fr-FR")
    assert i18n.current_language() == "en" and i18n._("FAIL") == "FAIL"
    assert i18n.ngettext("{n} task", "{n} tasks", 2) == "{n} tasks"


def test_a_kernel_in_the_labs_korean_folder_speaks_korean(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labs = _labs(tmp_path)
    monkeypatch.chdir(labs / "ko")
    assert i18n.current_language() == "ko"
    monkeypatch.setenv("SWARMLAB_LANG", "en")  # the environment comes first
    assert i18n.current_language() == "en"
    monkeypatch.delenv("SWARMLAB_LANG")
    monkeypatch.chdir(labs)  # the English notebooks' folder
    assert i18n.current_language() == "en"


def test_a_folder_named_ko_outside_the_labs_is_not_korean(tmp_path: Path) -> None:
    (tmp_path / "ko").mkdir()
    assert i18n.folder_language(tmp_path / "ko") is None
    assert i18n.folder_language(_labs(tmp_path / "copy") / "ko") == "ko"  # a student's copy


def test_the_repository_korean_labs_folder_is_detected() -> None:
    labs = PACKAGE.parent / "labs"
    assert i18n.folder_language(labs / "ko") == "ko"
    assert i18n.folder_language(labs) is None


# ----- what the learner sees --------------------------------------------------------------
def test_a_failing_03_check_speaks_korean_with_its_values_filled_in(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWARMLAB_LANG", "ko")
    res = judge("03.scale", "services")  # hello asks for 3 replicas, 5 wanted
    assert res.status is Status.FAIL and res.as_dict()["status"] == "FAIL"
    assert HANGUL.search(res.message) and HANGUL.search(res.hint), res
    assert "hello" in res.message and "3" in res.message and "5" in res.message
    assert "`docker service scale hello=5`" in res.hint
    assert "{" not in res.message + res.hint
    assert str(res).startswith("[실패] 03.scale: ") and "힌트: " in str(res)
    assert ">실패</span>" in res._repr_html_()


def test_english_output_is_unchanged() -> None:
    res = CheckResult("03.scale", Status.FAIL, "hello asks for 3 replicas, not 5.", "scale it",
                      {"replicas": 3}, "Scale hello")
    assert str(res) == "[FAIL] 03.scale: hello asks for 3 replicas, not 5.\n       Hint: scale it"
    assert ">FAIL</span>" in res._repr_html_() and ">Hint: scale it</div>" in res._repr_html_()
    assert "<summary>details</summary>" in res._repr_html_()
    report = Report((res, CheckResult("03.where", Status.SKIP, "no", "")))
    assert report.summary() == "0/2 passed, 1 failed, 1 skipped"


def test_a_korean_report_keeps_its_json_in_english_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWARMLAB_LANG", "ko")
    report = Report((CheckResult("03.scale", Status.PASS, "좋아요"),))
    assert report.as_dict()["results"][0]["status"] == "PASS"
    assert report.counts() == {"PASS": 1, "FAIL": 0, "SKIP": 0}
    assert HANGUL.search(report.summary())
