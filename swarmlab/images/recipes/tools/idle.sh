#!/bin/sh
# With arguments, run them; without, idle and stop at once on SIGTERM.
[ $# -gt 0 ] && exec "$@"
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
