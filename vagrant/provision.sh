#!/bin/sh
# Runs once per VM at its first `vagrant up` (and on `vagrant provision`): make sure
# Docker is installed and running. The swarm itself is formed by `swarmlab up
# --provider vagrant`, over SSH, on the private address given as $1.
set -eu
addr=${1:-}
if ! command -v docker >/dev/null 2>&1; then
  echo "installing docker.io (needs the Debian mirror; the kit's offline box has it already)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends docker.io
fi
# Enabling costs a daemon-reload and Debian's SysV sync (30-40 s on an emulated CPU): only
# when it is not enabled yet (the kit's box and Debian's package enable it). `start` waits
# for a start under way and does nothing to a running engine.
systemctl is-enabled -q docker 2>/dev/null || systemctl enable docker >/dev/null 2>&1 || true
systemctl start docker >/dev/null 2>&1 || true
# The login user of generic boxes may use docker without sudo.
if id vagrant >/dev/null 2>&1; then usermod -aG docker vagrant; fi
i=0
until docker info >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 120 ]; then echo "docker did not start: journalctl -u docker" >&2; exit 1; fi
  sleep 1
done
if [ -n "$addr" ] && ! ip -4 -o addr show | grep -q " $addr/"; then
  echo "warning: no interface has the swarm address $addr yet (private network not configured?)" >&2
fi
echo "$(hostname): docker $(docker version -f '{{.Server.Version}}') ready${addr:+, swarm address $addr}"
