#!/usr/bin/env bash
# The message catalogs (swarmlab/locale/<lang>/LC_MESSAGES/swarmlab.po and .mo): extract
# the messages marked with _(), ngettext() and N_() from swarmlab/, merge them into each
# language's .po (new ones untranslated, removed ones dropped), and compile the .mo.
# After changing a marked message: run it, translate each new msgstr "", run it again,
# commit the .po and the .mo (tests/unit/test_i18n.py fails on a stale .mo or a missing
# translation). `scripts/i18n.sh init LANG` starts a new language.
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
for po in "$DIR"/*/LC_MESSAGES/swarmlab.po; do
  lang=$(basename "$(dirname "$(dirname "$po")")")
  "$PYBABEL" -q update -i "$pot" -o "$po" -l "$lang" --no-wrap --no-fuzzy-matching \
    --ignore-obsolete
  # A fixed date, so the .po changes only with its messages (and the .mo compiles the same).
  sed -i 's/^"POT-Creation-Date: .*/"POT-Creation-Date: 2026-12-06 00:00+0000\\n"/' "$po"
done
"$PYBABEL" compile -d "$DIR" -D swarmlab --statistics
