#!/usr/bin/env bash
# Start the lab: environment, Docker engine, images, the default cluster, JupyterLab on labs/.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
.venv/bin/swarmlab up --name "${SWARMLAB_LAB:-default}"
PORT=${PORT:-8888}
if ! .venv/bin/python -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $PORT))" 2>/dev/null; then
  echo "[swarmlab] port $PORT on 127.0.0.1 is taken: run PORT=8899 ./lab.sh (or stop what uses it)." >&2
  exit 1
fi
args=(--ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT" --ServerApp.root_dir="$PWD/labs")
[ "$(id -u)" = 0 ] && args+=(--allow-root)
[ -z "${DISPLAY:-}" ] && args+=(--no-browser)
echo "[swarmlab] JupyterLab on http://127.0.0.1:$PORT (localhost only; the token is in the URL below)"
exec .venv/bin/jupyter lab "${args[@]}" ${SWARMLAB_OPEN:-00-welcome.ipynb}
