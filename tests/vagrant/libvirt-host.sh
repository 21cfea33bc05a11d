#!/bin/bash
# CI only: run libvirtd for the Vagrant tests on a host whose PID 1 is not systemd.
#   libvirt-host.sh start STATE_DIR   # virtlogd + libvirtd, config kept in STATE_DIR
#   libvirt-host.sh stop STATE_DIR
# libvirtd runs in its own mount namespace with no /dev/kvm (KVM does not work here; see
# below) and with /etc/libvirt = STATE_DIR/etc: qemu as root with no security driver, no
# cgroups, no networks, no autostart of anything.
# Nothing outside STATE_DIR is configured; `stop` kills both daemons.
set -euo pipefail
cmd=${1:?start|stop}
state=$(realpath -m "${2:?state dir}")
sock=/run/libvirt/libvirt-sock

stop() {
  for name in libvirtd virtlogd; do
    if [ -f "$state/$name.pid" ]; then
      kill "$(cat "$state/$name.pid")" 2>/dev/null || true
      rm -f "$state/$name.pid"
    fi
  done
}

case "$cmd" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac

if virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "libvirtd already answers on $sock"; exit 0
fi
for tool in libvirtd virtlogd virsh qemu-system-x86_64; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86" >&2; exit 1; }
done
# libvirt's compiled-in defaults name this user before qemu.conf is read.
getent passwd libvirt-qemu >/dev/null || useradd --system --no-create-home \
  --home-dir /var/lib/libvirt --shell /usr/sbin/nologin libvirt-qemu
mkdir -p "$state/etc" /run/libvirt /var/lib/libvirt /var/log/libvirt/qemu /var/cache/libvirt
cp /etc/libvirt/libvirt.conf "$state/etc/" 2>/dev/null || true
cat > "$state/etc/libvirtd.conf" <<CONF
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
unix_sock_ro_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
CONF
cat > "$state/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
CONF
cat > "$state/etc/virtlogd.conf" <<CONF
max_clients = 64
CONF
# libvirt re-probes qemu (~60 s) before each define whenever /dev/kvm exists but KVM does
# not work (its cached "no KVM" disagrees with a /dev/kvm it can open), so in libvirtd's
# namespace /dev is a small tmpfs without kvm, holding binds of the nodes qemu needs.
unshare -m bash -c '
  set -e
  state=$1
  mount --make-rprivate /
  mkdir -p "$state/hostdev"
  mount --rbind /dev "$state/hostdev"
  mount -t tmpfs -o mode=0755,size=1m swarmlab-dev /dev
  for n in null zero full random urandom tty; do
    if [ -L "$state/hostdev/$n" ]; then
      ln -s "$(readlink "$state/hostdev/$n")" "/dev/$n"
    else
      touch "/dev/$n"; mount --bind "$state/hostdev/$n" "/dev/$n"
    fi
  done
  for d in pts shm mqueue; do
    [ -d "$state/hostdev/$d" ] || continue
    mkdir -p "/dev/$d"; mount --rbind "$state/hostdev/$d" "/dev/$d"
  done
  # A pty must come from the devpts next to the ptmx that is opened (qemu runs as root).
  ln -s pts/ptmx /dev/ptmx
  ln -s /proc/self/fd /dev/fd
  ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout
  ln -s /proc/self/fd/2 /dev/stderr
  umount -l "$state/hostdev"
  mount --bind "$state/etc" /etc/libvirt
  /usr/sbin/virtlogd -d -p "$state/virtlogd.pid"
  /usr/sbin/libvirtd -d -p "$state/libvirtd.pid"
' _ "$state"
for _ in $(seq 1 60); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "libvirtd up (qemu TCG, config in $state/etc)"; exit 0
  fi
  sleep 0.5
done
echo "libvirtd did not answer on $sock within 30 s" >&2
stop
exit 1
