#!/bin/sh
# swarmlab node entrypoint: make a container a usable Docker/Swarm node, then exec dockerd.
# Works with --privileged, or with --cap-add ALL --cap-drop SYS_RESOURCE plus unconfined
# seccomp/apparmor/systempaths and a device cgroup rule (see swarmlab/providers/dind.py).
set -u
log() { echo "[swarmlab-node] $*" >&2; }

# /sys arrives read-only without --privileged; dockerd needs to write cgroups under it.
mount -o remount,rw /sys 2>/dev/null || log "note: /sys stays as mounted"

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2 (most laptops): our cgroup namespace root must be writable, and the
  # processes must leave the root cgroup before controllers can be delegated.
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || log "note: /sys/fs/cgroup stays as mounted"
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers \
    > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || log "note: cannot delegate controllers"
else
  # cgroup v1: each hierarchy is a read-only bind of our own sub-cgroup; mount it afresh rw.
  for d in /sys/fs/cgroup/*; do
    [ -d "$d" ] && [ ! -L "$d" ] || continue
    s=${d##*/}
    [ "$s" = unified ] && continue
    grep -q " $d cgroup " /proc/mounts || continue
    opt=$s; [ "$s" = systemd ] && opt=none,name=systemd
    umount "$d" && mount -t cgroup -o "$opt" cgroup "$d" || log "WARN: cgroup $s stays read-only"
  done
fi

# Bind mounts with propagation options (and volume plugins) need a shared root.
mount --make-rshared / 2>/dev/null || :

# Optional sshd for the SSH transport: root login by key only, key given at create time.
if [ -n "${SWARMLAB_SSH_PUBKEY:-}" ] && [ -x /usr/sbin/sshd ]; then
  ssh-keygen -A >/dev/null 2>&1
  mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh
  printf '%s\n' "$SWARMLAB_SSH_PUBKEY" > /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
  /usr/sbin/sshd -e -o PermitRootLogin=prohibit-password -o PasswordAuthentication=no \
    || log "WARN: sshd did not start"
fi
unset SWARMLAB_SSH_PUBKEY

# Only the unix socket: no TCP listener, so no unauthenticated API anywhere.
[ $# -eq 0 ] && set -- dockerd -H unix:///var/run/docker.sock
log "exec $*"
exec "$@"
