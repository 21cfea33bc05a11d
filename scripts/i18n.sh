#!/usr/bin/env bash
# The message catalogs (swarmlab/locale/<lang>/LC_MESSAGES/swarmlab.po and .mo): extract
# the messages marked with _(), ngettext() and N_() from swarmlab/, merge them into each
# language's .po (new ones untranslated, removed ones dropped), and compile the .mo.
# After changing a marked message: run it, translate each new msgstr "", run it again,
# commit the .po and the .mo (tests/unit/test_i18n.py fails on a stale .mo or a missing
# translation). `scripts/i18n.sh init LANG` starts a new language; `scripts/i18n.sh take
# LANG OTHER.po` also fills LANG's untranslated messages from OTHER.po (two branches that
# both translated: take one side's .po in the merge, then take the other's).
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
DIR=swarmlab/locale
pot=$(mktemp --suffix .pot)
trap 'rm -f "$pot"' EXIT
"$PYBABEL" -q extract -F babel.cfg -k N_ --no-location --project swarmlab -o "$pot" swarmlab
if [ "${1:-}" = init ]; then
  "$PYBABEL" init -i "$pot" -d "$DIR" -D swarmlab -l "$2" --no-wrap
fi
if [ "${1:-}" = take ]; then
  .venv/bin/python - "$DIR/$2/LC_MESSAGES/swarmlab.po" "$3" <<'PY'
import sys
from babel.messages.pofile import read_po, write_po
ours_path, theirs_path = sys.argv[1], sys.argv[2]
with open(ours_path, "rb") as f:
    ours = read_po(f)
with open(theirs_path, "rb") as f:
    theirs = read_po(f)
taken = 0
for m in theirs:
    if m.id and m.string and not m.fuzzy:
        here = ours.get(m.id[0] if isinstance(m.id, tuple) else m.id)
        if here is None:
            ours[m.id] = m.string
            here = ours.get(m.id[0] if isinstance(m.id, tuple) else m.id)
            here.string = m.string
            taken += 1
        elif not (all(here.string) if isinstance(here.string, tuple) else here.string):
            here.string = m.string
            taken += 1
with open(ours_path, "wb") as f:
    write_po(f, ours, width=0, include_lineno=False)
print(f"took {taken} translations from {theirs_path}")
PY
fi
for po in "$DIR"/*/LC_MESSAGES/swarmlab.po; do
  lang=$(basename "$(dirname "$(dirname "$po")")")
  "$PYBABEL" -q update -i "$pot" -o "$po" -l "$lang" --no-wrap --no-fuzzy-matching \
    --ignore-obsolete
  # A fixed date, so the .po changes only with its messages (and the .mo compiles the same).
  sed -i 's/^"POT-Creation-Date: .*/"POT-Creation-Date: 2026-12-06 00:00+0000\\n"/' "$po"
done
"$PYBABEL" compile -d "$DIR" -D swarmlab --statistics
