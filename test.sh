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
# The suite runs in parallel lanes: the VM lane (the vm, vagrant and hostvm tiers, whose
# emulated VMs would starve each other side by side) is one pytest in the background; the
# dind tiers run beside it in pytest-xdist lanes (one test module per unit of work:
# tests/conftest.py). The tests that restart the host's engine come after the dind lanes,
# alone among the dind tests, once the VM lane no longer uses the host's engine.
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
  if [ "${SWARMLAB_PYTEST_SIGINT:-}" = default ]; then
    .venv/bin/python -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.executable, [sys.executable, "-m", "pytest", *sys.argv[1:]])' "$@"
  else
    .venv/bin/python -m pytest "$@"
  fi
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
rc=0 interrupted=0
trap 'interrupted=1' INT  # Ctrl-C: the running pytest (and the VM lane) clean up; no more start
if [ $# -gt 0 ]; then
  phase "pytest $*" "$@" || rc=$?
else
  # The VM lane and lanes-1 dind lanes (at least one). Four: the dind tests mostly wait on
  # Swarm's timers, so a third dind lane fills CPU the others leave idle (run 20: dind
  # lanes done at 16:48 instead of 23:00, the suite 23:45 instead of 25:18).
  lanes=${SWARMLAB_TEST_LANES:-4}
  dind=$((lanes > 2 ? lanes - 1 : 1))
  vm_tiers=(tests/vm tests/vagrant tests/hostvm)
  vm_log=test-artifacts/vm-lane.log engine_free=$PWD/test-artifacts/vm-lane-engine-free
  rm -f "$engine_free"
  echo "[swarmlab] tests: the VM lane (${vm_tiers[*]}) in the background, its output in $vm_log"
  # Its own lane name (its labs end in -<suffix>v); SIGINT back to its default, so Ctrl-C
  # stops it cleanly (a background job of a script starts with SIGINT ignored).
  SWARMLAB_TEST_LANE=vm SWARMLAB_TEST_ENGINE_FREE=$engine_free SWARMLAB_PYTEST_SIGINT=default \
    phase "the VM lane" "${vm_tiers[@]}" -p no:xdist -m "not host_engine" --durations=10 \
    >"$vm_log" 2>&1 &
  vm_pid=$!
  phase "the dind tiers in $dind parallel lanes" -n "$dind" --dist loadscope \
    --no-loadscope-reorder -m "not host_engine" "${vm_tiers[@]/#/--ignore=}" --durations=25 \
    || rc=$?
  # The VM lane loads images from the host's engine until its hostvm guest is set up.
  vm_lane_needs_engine() {
    [ "$interrupted" = 0 ] && kill -0 "$vm_pid" 2>/dev/null && [ ! -e "$engine_free" ]
  }
  if vm_lane_needs_engine; then
    echo "[swarmlab] waiting for the VM lane to stop using the host's engine ..."
    while vm_lane_needs_engine; do sleep 5 || true; done  # (a Ctrl-C ends the sleep)
  fi
  if [ "$interrupted" = 0 ]; then
    phase "tests that restart the host's Docker engine (alone among the dind tests)" \
      -m host_engine "${vm_tiers[@]/#/--ignore=}" -p no:xdist --durations=5 || rc=$?
  fi
  if kill -0 "$vm_pid" 2>/dev/null; then
    echo "[swarmlab] waiting for the VM lane (tail -f $vm_log) ..."
  fi
  while :; do  # a Ctrl-C ends a wait early: wait again until the lane has cleaned up
    wait "$vm_pid" && vm_rc=0 || vm_rc=$?
    kill -0 "$vm_pid" 2>/dev/null || break
  done
  [ "$vm_rc" -eq 0 ] || rc=$vm_rc
  echo "[swarmlab] the VM lane's output ($vm_log):"
  cat "$vm_log"
fi
if [ "$interrupted" = 1 ]; then
  echo "[swarmlab] interrupted (Ctrl-C): the tests after that point did not run." >&2
  rc=130
fi
.venv/bin/python scripts/test_summary.py "$times" "$((SECONDS - start))"
if [ $# -eq 0 ] && ! .venv/bin/python scripts/leftovers.py check "$SWARMLAB_TEST_SUFFIX" \
    test-artifacts/vm-processes-before; then
  echo "[swarmlab] the suite left the above behind: a leak to fix." >&2
  rc=1
fi
exit "$rc"
