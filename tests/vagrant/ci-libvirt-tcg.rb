# CI only, loaded by vagrant/Vagrantfile through SWARMLAB_VAGRANT_OVERRIDE: boot the
# kit's offline box under vagrant-libvirt on qemu TCG with no host network at all.
#
# - No libvirt-managed network (mgmt_attach = false): nothing is added to the host's
#   bridges or firewall. vagrant-libvirt finds a machine's address through the qemu guest
#   agent, on the one NIC libvirt knows: a qemu socket "server" bound to 127.0.0.1 (eth0,
#   a /32 address nobody routes to).
# - SSH: a qemu user-mode NIC (eth1, 10.0.2.15) with a forward from 127.0.0.1:PORT only.
# - The swarm's network ("swarm", the Vagrantfile's private network): a VDE switch the
#   tests start (eth2), with the Vagrantfile's addresses, set from the kernel command line.
# Inputs (environment): SWARMLAB_CI_PORT_BASE (SSH ports PORT_BASE+i, tunnel ports
# PORT_BASE+100+i, all on 127.0.0.1), SWARMLAB_CI_VDE (the switch socket folder),
# SWARMLAB_CI_POOL (the libvirt storage pool's folder), SWARMLAB_CI_CONSOLES (a folder for
# each VM's serial console, NAME.log: what a test that fails shows of a VM's boot).
port_base = Integer(ENV.fetch("SWARMLAB_CI_PORT_BASE"))
vde = ENV.fetch("SWARMLAB_CI_VDE")
pool = ENV.fetch("SWARMLAB_CI_POOL")
consoles = ENV.fetch("SWARMLAB_CI_CONSOLES")
insecure = File.read(File.join(Vagrant.source_root, "keys", "vagrant.pub")).split[0, 2].join(":")

Vagrant.configure("2") do |config|
  config.ssh.host = "127.0.0.1"
  NODES.each_with_index do |(name, ip), i|
    config.vm.define name do |node|
      ssh_port = port_base + i
      tunnel_ip = "192.168.252.#{10 + i}"
      node.ssh.port = ssh_port
      node.vm.network "private_network", id: "swarm", ip: tunnel_ip, auto_config: false,
        libvirt__tunnel_type: "server", libvirt__tunnel_ip: "127.0.0.1",
        libvirt__tunnel_port: (port_base + 100 + i).to_s
      node.vm.provider :libvirt do |lv|
        lv.driver = "qemu"            # domain type qemu: TCG, no KVM
        lv.mgmt_attach = false
        lv.qemu_use_agent = true
        lv.cpu_mode = "custom"
        lv.cpu_model = "qemu64"
        lv.cpu_fallback = "allow"
        lv.storage_pool_path = pool
        lv.serial type: "file", source: { path: File.join(consoles, "#{name}.log") }
        lv.cmd_line = "root=/dev/vda rw console=ttyS0 net.ifnames=0 apparmor=0 panic=5 " \
                      "mitigations=off quiet loglevel=3 systemd.hostname=#{name} " \
                      "swarmlab.addr=eth0:#{tunnel_ip}/32 swarmlab.addr=eth1:10.0.2.15/24 " \
                      "swarmlab.gw=10.0.2.2 swarmlab.addr=eth2:#{ip}/24 swarmlab.key=#{insecure}"
        lv.qemuargs value: "-netdev"
        lv.qemuargs value: "user,id=nat,net=10.0.2.0/24,restrict=on," \
                           "hostfwd=tcp:127.0.0.1:#{ssh_port}-10.0.2.15:22"
        lv.qemuargs value: "-device"
        lv.qemuargs value: "virtio-net-pci,netdev=nat,addr=0x1d"
        lv.qemuargs value: "-netdev"
        lv.qemuargs value: "vde,id=swarm,sock=#{vde}"
        lv.qemuargs value: "-device"
        lv.qemuargs value: "virtio-net-pci,netdev=swarm,addr=0x1e,mac=52:54:00:79:00:#{format('%02x', 16 + i)}"
      end
    end
  end
end
