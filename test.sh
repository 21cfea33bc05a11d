#!/usr/bin/env bash
# Run the whole test suite on real clusters (installs what it needs first).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
# Slow tiers need host tools: Debian's Chromium for the browser and classroom tests
# (Playwright never downloads a browser here), npm for the classroom's proxy, qemu + vde2
# for the VM tier, and Vagrant with vagrant-libvirt and libvirt's daemon for the Vagrant
# tier (tests/vagrant/libvirt-host.sh starts it).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v npm >/dev/null || need+=(npm)  # the classroom test's hub proxy comes from npm
  command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
  command -v qemu-img >/dev/null || need+=(qemu-utils)
  command -v vde_switch >/dev/null || need+=(vde2)
  command -v vagrant >/dev/null || need+=(vagrant)
  for pkg in vagrant-libvirt libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "[swarmlab] installing ${need[*]} for the browser, VM and Vagrant tests ..."
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
.venv/bin/ruff check swarmlab tests scripts
.venv/bin/mypy
# The suite runs in parallel lanes (pytest-xdist, one test module per unit of work; the VM
# and Vagrant tiers share one: tests/conftest.py), then the tests that restart the host's
# engine, alone.
# Arguments go straight to one pytest run instead: ./test.sh tests/unit -q
mkdir -p test-artifacts
times=test-artifacts/tier-times.jsonl spans=test-artifacts/test-spans.jsonl
rm -f "$times" "$spans"
export SWARMLAB_TEST_TIMES="$PWD/$times"
export SWARMLAB_TEST_SPANS="$PWD/$spans"  # every test's lane and times, to see where they go
start=$SECONDS
phase() {  # phase NAME PYTEST-ARGS...: pytest's exit 5 (no test ran) is a failure too
  local name=$1; shift
  echo "[swarmlab] tests: $name"
  set +e
  .venv/bin/python -m pytest "$@"
  local rc=$?
  set -e
  if [ "$rc" -eq 5 ]; then
    echo "[swarmlab] pytest collected no tests ($name): that is a failure, not a pass." >&2
    rc=1
  fi
  return "$rc"
}
# This run's labs end in -<suffix> (-<suffix><lane> in a lane): two runs on one engine
# never touch each other's labs, and what this one left behind can be found.
export SWARMLAB_TEST_SUFFIX=${SWARMLAB_TEST_SUFFIX:-r$(printf '%03x' $((RANDOM % 4096)))}
.venv/bin/python scripts/leftovers.py before test-artifacts/vm-processes-before
rc=0
if [ $# -gt 0 ]; then
  phase "pytest $*" "$@" || rc=$?
else
  lanes=${SWARMLAB_TEST_LANES:-3}
  phase "every tier in $lanes parallel lanes" -n "$lanes" --dist loadscope \
    --no-loadscope-reorder -m "not host_engine" --durations=25 || rc=$?
  phase "tests that restart the host's Docker engine (alone, last)" -m host_engine \
    -p no:xdist --durations=5 || rc=$?
fi
.venv/bin/python scripts/test_summary.py "$times" "$((SECONDS - start))"
if [ $# -eq 0 ] && ! .venv/bin/python scripts/leftovers.py check "$SWARMLAB_TEST_SUFFIX" \
    test-artifacts/vm-processes-before; then
  echo "[swarmlab] the suite left the above behind: a leak to fix." >&2
  rc=1
fi
exit "$rc"
