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
systemctl enable --now docker >/dev/null 2>&1 || true
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
