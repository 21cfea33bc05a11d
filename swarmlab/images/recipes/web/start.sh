#!/bin/sh
# PID 1 of a web task: write the answer page, serve it, stop at once on SIGTERM.
mkdir -p /www /tmp
addr=$(hostname -i 2>/dev/null | tr ' ' '\n' | grep -v '^127\.' | head -n 1)
{
  echo "Hostname: $(hostname)"
  echo "Slot: ${TASK_SLOT:-?}"
  echo "Address: ${addr:-?}"
  echo "Version: ${VERSION}"
} > /www/index.html
# The broken version never reports healthy: its health page is missing.
[ "$VERSION" = broken ] || echo ok > /www/health
echo "web ${VERSION} on $(hostname) ${addr} port ${PORT}"
httpd -f -p "${PORT}" -h /www &
pid=$!
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
