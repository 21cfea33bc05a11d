#!/bin/sh
# PID 1 of an api task: serve index.cgi for every request, stop at once on SIGTERM.
mkdir -p /www/cgi-bin /tmp
cp /app/index.cgi /www/cgi-bin/index.cgi
echo "api on $(hostname) port ${PORT}, settings from ${API_CONFIG}"
httpd -f -p "${PORT}" -h /www &
pid=$!
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
