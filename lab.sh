#!/usr/bin/env bash
# Start the lab: environment, Docker engine, images, the default cluster, JupyterLab on labs/.
set -euo pipefail
cd "$(dirname "$0")"
PORT=${PORT:-8888}
# Check the port first, so a taken one costs nothing and leaves nothing half-made.
if ! python3 -c "import socket; socket.socket().bind(('127.0.0.1', int('$PORT')))" 2>/dev/null; then
  echo "[swarmlab] port $PORT on 127.0.0.1 is taken (or not a port): run PORT=8899 ./lab.sh," \
       "or stop what uses it." >&2
  exit 1
fi
bash scripts/bootstrap.sh
.venv/bin/swarmlab up --name "${SWARMLAB_LAB:-default}"
# Ask nothing on first open: no "news" notification (a choice the user made is kept).
.venv/bin/python -m swarmlab.jupyter_defaults \
  "${JUPYTERLAB_SETTINGS_DIR:-$HOME/.jupyter/lab/user-settings}"
TOKEN=${JUPYTER_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(24))')}
# SWARMLAB_LANG=ko: the Korean edition (labs/ko/; its kernels speak Korean by themselves).
FIRST=00-welcome.ipynb
case "${SWARMLAB_LANG:-}" in
  ko|ko[_.-]*)
    if [ -f "labs/ko/$FIRST" ]; then FIRST="ko/$FIRST"
    else echo "[swarmlab] labs/ko/$FIRST is missing: opening the English lab" >&2; fi ;;
esac
OPEN=${SWARMLAB_OPEN:-$FIRST}
args=(--ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT" --ServerApp.root_dir="$PWD/labs"
      --IdentityProvider.token="$TOKEN")
[ "$(id -u)" = 0 ] && args+=(--allow-root)
[ -z "${DISPLAY:-}" ] && args+=(--no-browser)
echo "[swarmlab] JupyterLab (localhost only) - open this in your browser:"
echo "[swarmlab]   http://127.0.0.1:$PORT/lab/tree/$OPEN?token=$TOKEN"
exec .venv/bin/jupyter lab "${args[@]}" "labs/$OPEN"
