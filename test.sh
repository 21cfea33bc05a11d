#!/usr/bin/env bash
# Run the whole test suite on real clusters (installs what it needs first).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[swarmlab] installing chromium for the browser tests ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check swarmlab tests
.venv/bin/mypy
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "[swarmlab] pytest collected no tests: that is a failure, not a pass." >&2
  exit 1
fi
exit "$rc"
