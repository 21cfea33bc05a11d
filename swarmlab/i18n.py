"""Messages in the learner's language: gettext catalogs (domain ``swarmlab``) in
``swarmlab/locale/<lang>/LC_MESSAGES/swarmlab.po`` and its compiled ``.mo``.

Mark a message with ``_()`` where it is shown (checks' messages and hints, widget
labels); it is looked up at call time, in the language chosen then::

    _("{name} runs no task of {service}.").format(name=node, service=name)

Values go in through named placeholders and ``.format``, never an f-string inside
``_()`` (the extractor reads only literal strings). A count that changes the words is
``ngettext(singular, plural, n)``. A string made at import time (a check's ``title=``,
a requirement's ``how``) is marked with ``N_()``, which only marks it: the code that
shows it translates it then (``run_check``, ``requires``).

The language, first that applies: ``set_language(lang)`` (``start_lab(..., lang=)``
calls it); ``$SWARMLAB_LANG``; a kernel started in a language folder of the labs
(``labs/ko/``: JupyterLab starts a notebook's kernel in the notebook's folder, so the
Korean notebooks need no code of their own); else English. A language without a
catalog is English, and a message without a translation stays English: never an error.

Catalogs: ``pybabel extract -F babel.cfg -o swarmlab/locale/swarmlab.pot swarmlab``,
``pybabel update -i swarmlab/locale/swarmlab.pot -d swarmlab/locale -D swarmlab``, translate,
``pybabel compile -d swarmlab/locale -D swarmlab``; commit the .po and the .mo
(tests/unit/test_i18n.py checks the .mo matches the .po and every message is translated).
"""

from __future__ import annotations

import functools
import gettext
import os
import re
from pathlib import Path

__all__ = ["DOMAIN", "ENV", "LOCALE_DIR", "N_", "_", "available_languages",
           "current_language", "folder_language", "ngettext", "set_language"]

DOMAIN = "swarmlab"
LOCALE_DIR = Path(__file__).parent / "locale"
ENV = "SWARMLAB_LANG"
DEFAULT = "en"
# A lab notebook's file name: the marker that a folder beside it holds the labs.
_LAB_NOTEBOOK = "[0-9][0-9]-*.ipynb"

_chosen: str | None = None  # set_language's choice; None: environment, then folder


def _(message: str) -> str:
    """``message`` in the current language (itself when it has no translation)."""
    if not message:  # gettext's "" is the catalog's header
        return message
    return _catalog(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for ``n`` things, in the current language."""
    return _catalog(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Mark ``message`` for the catalog without translating it now (import-time strings)."""
    return message


def set_language(lang: str | None) -> None:
    """Choose the language of messages from now on (``None``: back to $SWARMLAB_LANG and
    the notebook's folder). A language without a catalog gives English."""
    global _chosen
    _chosen = lang


def current_language() -> str:
    """The language messages are shown in now: ``"en"``, ``"ko"``, ..."""
    for wanted in (_chosen, os.environ.get(ENV)):
        if wanted:
            return normalize(wanted)
    try:
        cwd = Path.cwd()
    except OSError:  # the working directory was deleted under the kernel
        return DEFAULT
    return folder_language(cwd) or DEFAULT


def normalize(lang: str) -> str:
    """``"ko"``, ``"ko_KR.UTF-8"``, ``"KO-kr"`` -> ``"ko"``; unknown -> ``"en"``."""
    code = re.split(r"[_.@-]", lang.strip().lower(), maxsplit=1)[0]
    return code if code in available_languages() else DEFAULT


@functools.cache
def available_languages() -> tuple[str, ...]:
    """English and every language with a compiled catalog."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (DEFAULT, *(c for c in found if c != DEFAULT))


def folder_language(cwd: Path) -> str | None:
    """The language of a labs folder the kernel runs in: ``.../labs/ko`` (a folder named
    after a language, beside or holding lab notebooks ``NN-*.ipynb``), else None."""
    lang = cwd.name.lower()
    if lang == DEFAULT or lang not in available_languages():
        return None
    try:
        beside = next(cwd.parent.glob(_LAB_NOTEBOOK), None) or next(cwd.glob(_LAB_NOTEBOOK), None)
    except OSError:
        return None
    return lang if beside is not None else None


@functools.cache
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)
