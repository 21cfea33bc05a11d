"""What goes into the VM image besides Debian's packages: the files that make it a node, the
units enabled and masked, and the image *flavors* (extra packages per flavor).

The ``node`` flavor is the kit's VM node (vm and vagrant providers); ``host`` adds what a
learner's Linux host has for the kit itself (Python's venv, graphviz, a static busybox for
the lab images), so a VM can stand in for a learner's machine (tests/hostvm).
"""

from __future__ import annotations

PACKAGES = (
    "systemd-sysv udev dbus kmod procps iproute2 iptables netbase openssh-server "
    "docker.io docker-cli curl ca-certificates linux-image-cloud-amd64 "
    # For Vagrant boxes: the address query of vagrant-libvirt, and the network
    # configuration Vagrant writes for private networks on Debian guests.
    "qemu-guest-agent ifupdown isc-dhcp-client"
)
# Flavor -> Debian packages added to PACKAGES. The node flavor adds none, so its recipe
# (and the images cached under it) stays what it was before flavors existed.
FLAVORS: dict[str, str] = {
    "node": "",
    "host": "python3-venv graphviz busybox-static",
}
DEFAULT_FLAVOR = "node"


def packages(flavor: str = DEFAULT_FLAVOR) -> str:
    """The Debian packages of ``flavor``'s image (``KeyError`` naming the flavors)."""
    if flavor not in FLAVORS:
        raise KeyError(f"no VM image flavor {flavor!r}: choose one of {', '.join(FLAVORS)}")
    return " ".join(p for p in (PACKAGES, FLAVORS[flavor]) if p)


GUEST_ADDR = "10.0.2.15"  # the guest side of qemu's user-mode NIC (its default)
GUEST_GW = "10.0.2.2"

# Runs at every boot before sshd and dockerd. Addresses come from the kernel command line
# (``swarmlab.addr=IFACE:CIDR``, repeatable, and ``swarmlab.gw=IP``): the vm provider and
# the CI Vagrant override give static ones. With none for eth0 (a Vagrant box booted by a
# plain libvirt or another hypervisor), eth0 asks DHCP through ifupdown, which is also
# what Vagrant uses to configure its private networks. ``swarmlab.key=`` authorizes an SSH
# key at the first boot only, so a key Vagrant inserts later is kept. The host key is made
# once per node (first boot of its overlay) and kept, so a node that restarts keeps the key
# the lab recorded. Only ed25519: making RSA keys takes many seconds on an emulated CPU.
# The node's own name resolves (127.0.1.1, as on any Debian install): ``hostname -f`` and
# sudo answer at once, and Vagrant, finding the name it would set already there (given by
# ``systemd.hostname=`` on the kernel command line), does not set it again and restart
# every interface (17-21 s per VM under TCG).
GUEST_SETUP = """#!/bin/sh
set -u
gw=""; key=""; eth0=""
ip link set lo up
for w in $(cat /proc/cmdline); do
  case "$w" in
    swarmlab.addr=*:*)
      v=${w#*=}; dev=${v%%:*}; cidr=${v#*:}
      [ "$dev" = eth0 ] && eth0=static
      i=0; while ! ip link show "$dev" >/dev/null 2>&1 && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i+1)); done
      ip link set "$dev" up && ip addr replace "$cidr" dev "$dev" ;;
    swarmlab.gw=*) gw=${w#*=} ;;
    swarmlab.key=*) key=${w#*=} ;;
  esac
done
[ -n "$gw" ] && ip route replace default via "$gw"
h=$(hostname)
grep -qw -- "$h" /etc/hosts || printf '127.0.1.1 %s\\n' "$h" >> /etc/hosts
dhcp=/etc/network/interfaces.d/swarmlab-eth0
if [ -z "$eth0" ]; then
  printf 'auto eth0\\niface eth0 inet dhcp\\n' > "$dhcp"
else
  rm -f "$dhcp"
fi
mkdir -p /root/.ssh && chmod 700 /root/.ssh
if [ -n "$key" ] && [ ! -s /root/.ssh/authorized_keys ]; then
  printf '%s\\n' "$key" | sed 's/:/ /' > /root/.ssh/authorized_keys
fi
chmod 600 /root/.ssh/authorized_keys 2>/dev/null
k=/etc/ssh/ssh_host_ed25519_key
[ -s "$k" ] || ssh-keygen -q -t ed25519 -N '' -f "$k"
exit 0
"""

GUEST_UNIT = """[Unit]
Description=swarmlab node setup (addresses, lab key, host keys)
DefaultDependencies=no
After=systemd-udev-settle.service local-fs.target sys-subsystem-net-devices-eth0.device
Wants=sys-subsystem-net-devices-eth0.device
Before=network.target networking.service ssh.service docker.service containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/swarmlab-guest-setup

[Install]
WantedBy=multi-user.target
"""

FILES: dict[str, str] = {
    "usr/local/sbin/swarmlab-guest-setup": GUEST_SETUP,
    "etc/systemd/system/swarmlab-guest.service": GUEST_UNIT,
    # Lab images are loaded, never pulled: don't ask a registry before every task.
    "etc/systemd/system/docker.service.d/swarmlab.conf":
        "[Service]\nEnvironment=DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1\n",
    "etc/ssh/sshd_config.d/swarmlab.conf":
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n"
        "HostKey /etc/ssh/ssh_host_ed25519_key\n",
    # The root disk is named on the kernel command line, so systemd waits for no device.
    "etc/fstab": "# / comes from root= on the kernel command line\n",
    "etc/systemd/journald.conf.d/swarmlab.conf": "[Journal]\nStorage=volatile\n",
    # A small initrd with only what finds the root disk: it is unpacked at every boot.
    "etc/initramfs-tools/conf.d/swarmlab.conf": "MODULES=list\n",
    "etc/initramfs-tools/modules": "virtio_pci\nvirtio_blk\next4\n",
    "etc/hosts": "127.0.0.1 localhost\n",
    # Modules udev or a probe would load for hardware a node never uses: the PC machine's
    # IDE CD-ROM (libata, SCSI), KVM (qemu64 says it has SVM), VMware's and others' vsock.
    # Each load costs a process and a module link, a second or more of boot under TCG.
    "etc/modprobe.d/swarmlab.conf": "".join(
        f"blacklist {m}\n" for m in (
            "ata_piix", "ata_generic", "pata_acpi", "kvm_amd", "kvm_intel", "kvm",
            "vmw_vmci", "vmw_vsock_vmci_transport", "vmw_vsock_virtio_transport",
            "vsock_loopback", "hv_sock", "vsock", "powernow_k8", "pcspkr")),
    # ifupdown: the DHCP of eth0 (see GUEST_SETUP) and Vagrant's private networks.
    "etc/network/interfaces":
        "auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n",
    # No DNS in an offline lab: fail fast instead of waiting for a resolver.
    "etc/resolv.conf": "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
}
ENABLE = ("swarmlab-guest.service", "ssh.service", "docker.service")
# Timers and gettys that cost CPU at boot and are useless in a lab VM.
MASK = (
    "apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "e2scrub_all.timer",
    "fstrim.timer", "getty@tty1.service", "systemd-networkd-wait-online.service",
    "modprobe@drm.service", "modprobe@efi_pstore.service", "modprobe@fuse.service",
    # Every VM starts from the image's disk, so every boot is a "first" boot: the units that
    # run once after a package update (ConditionNeedsUpdate=) would run at each one.
    "ldconfig.service", "systemd-journal-catalog-update.service",
    "systemd-update-done.service",
    # Nothing to flush (the journal is volatile) and file systems no node uses.
    "systemd-journal-flush.service", "sys-kernel-debug.mount", "sys-kernel-tracing.mount",
    "dev-hugepages.mount", "sys-kernel-config.mount", "modprobe@configfs.service",
)
# Generators systemd runs before any unit, each a process under TCG, that find nothing in
# a node: ssh over vsock (its probe loads the vsock modules), GPT partitions (the root is
# a whole disk), TPM2, resume from hibernation. Masked by a /dev/null link in /etc.
GENERATORS_OFF = ("systemd-ssh-generator", "systemd-gpt-auto-generator",
                  "systemd-tpm2-generator", "systemd-hibernate-resume-generator")


__all__ = ["DEFAULT_FLAVOR", "ENABLE", "FILES", "FLAVORS", "GENERATORS_OFF", "GUEST_ADDR",
           "GUEST_GW", "GUEST_SETUP", "GUEST_UNIT", "MASK", "PACKAGES", "packages"]
