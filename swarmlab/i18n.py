"""Stand-in for the i18n branch's ``swarmlab.i18n`` (same API: ``_``, ``ngettext``, ``N_``)
so labs 06-15's marked checks run before that branch lands; the merge takes its version.

Catalogs: gettext domain ``swarmlab`` in ``swarmlab/locale/<lang>/LC_MESSAGES/``; the
language is ``$SWARMLAB_LANG`` (default English); a missing translation stays English.
"""

from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

__all__ = ["DOMAIN", "LOCALE_DIR", "N_", "_", "available_languages", "current_language",
           "ngettext"]

DOMAIN = "swarmlab"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"


def _(message: str) -> str:
    """``message`` in the current language (itself when it has no translation)."""
    if not message:
        return message
    return _catalog(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for ``n`` things, in the current language."""
    return _catalog(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Mark ``message`` for the catalog without translating it now."""
    return message


def current_language() -> str:
    code = (os.environ.get("SWARMLAB_LANG") or DEFAULT).split("_")[0].split(".")[0].lower()
    return code if code in available_languages() else DEFAULT


@functools.cache
def available_languages() -> tuple[str, ...]:
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (DEFAULT, *(c for c in found if c != DEFAULT))


@functools.cache
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)
