#!/usr/bin/env bash
# Shared by lab.sh and test.sh: a Python venv with the kit, a Docker engine, the images.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[swarmlab] %s\n' "$*"; }

PY=${PYTHON:-$(command -v python3 || true)}
if [ -z "$PY" ] || ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  say "Python 3.10 or newer is needed (Debian/Ubuntu: apt-get install python3 python3-venv)."
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating the Python environment in .venv ..."
  "$PY" -m venv .venv || { say "python3 -m venv failed: apt-get install python3-venv"; exit 1; }
fi
stamp=.venv/.swarmlab-installed
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing swarmlab and its dependencies into .venv (a minute the first time) ..."
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
fi
# Engine (installed and started here as root on Debian/Ubuntu), then images if absent/outdated.
.venv/bin/swarmlab setup
