#!/bin/sh
# busybox 1.35's `wget -T` crashes; bound the request with timeout instead.
timeout 2 wget -q -O /dev/null "http://127.0.0.1:${PORT}/health"
