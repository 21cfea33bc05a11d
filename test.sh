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
.venv/bin/ruff check swarmlab tests
.venv/bin/mypy
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "[swarmlab] pytest collected no tests: that is a failure, not a pass." >&2
  exit 1
fi
exit "$rc"
