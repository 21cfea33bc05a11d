"""The vagrant provider's pure parts, the Vagrantfile's settings (run by Ruby) and the box."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from swarmlab.errors import CapabilityMissing, SpecError
from swarmlab.progress import Steps
from swarmlab.providers import get_provider
from swarmlab.providers.common import node_address
from swarmlab.providers.vagrant import (
    VagrantProvider,
    _worth_showing,
    parse_ssh_config,
    parse_status,
    settings,
)
from swarmlab.spec import ClusterSpec, NodeSpec

VAGRANT_DIR = Path(__file__).resolve().parents[2] / "vagrant"

SSH_CONFIG = """Host manager1
  HostName 127.0.0.1
  User root
  Port 42300
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /c/vagrant/nb/state/machines/manager1/libvirt/private_key
  IdentityFile /usr/share/vagrant/keys/vagrant
  IdentitiesOnly yes
  LogLevel FATAL

Host worker1
  HostName 192.168.121.7
  User vagrant
  Port 22
  IdentityFile "/home/x/my key"
"""

STATUS = """1700000000,manager1,metadata,provider,libvirt
1700000000,manager1,provider-name,libvirt
1700000000,manager1,state,running
1700000000,worker1,state,shutoff
1700000000,worker2,state,not_created
1700000000,,ui,info,Current machine states:
"""


def test_ssh_config_is_read_per_machine_with_the_first_identity_file():
    hosts = parse_ssh_config(SSH_CONFIG)
    assert hosts["manager1"]["port"] == "42300"
    assert hosts["manager1"]["identityfile"].endswith("manager1/libvirt/private_key")
    assert hosts["worker1"] == {"hostname": "192.168.121.7", "user": "vagrant", "port": "22",
                                "identityfile": "/home/x/my key"}


def test_machine_readable_status_is_parsed():
    assert parse_status(STATUS) == {"manager1": "running", "worker1": "shutoff",
                                    "worker2": "not_created"}


def test_addresses_follow_the_vagrantfile_rule():
    assert node_address("192.168.56", NodeSpec("manager2", "manager", 2)) == "192.168.56.12"
    assert node_address("10.1.2", NodeSpec("worker3", "worker", 3)) == "10.1.2.103"


def test_settings_env_beats_file_beats_defaults(tmp_path):
    (tmp_path / "swarmlab.yml").write_text("subnet: 192.168.57\nmemory: 2048\n")
    cfg = settings(tmp_path, env={"SWARMLAB_MEMORY": "1536"})
    assert cfg["subnet"] == "192.168.57" and cfg["memory"] == "1536"
    assert cfg["box"] == "debian/bookworm64" and cfg["workers"] == 2


@pytest.mark.parametrize("text, message", [
    ("colour: blue\n", "Unknown setting(s) colour"),
    ("- a list\n", "must be a mapping"),
    ("subnet: 192.168\n", "three octets"),
])
def test_bad_settings_name_the_problem(tmp_path, text, message):
    (tmp_path / "swarmlab.yml").write_text(text)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings(tmp_path, env={})


def test_progress_shows_vagrant_steps_not_their_details():
    assert _worth_showing("==> manager1: Starting domain.\n")
    assert not _worth_showing("==> manager1:     -> value=-netdev,\n")
    assert not _worth_showing("==> manager1:  -- Name:              swarmlab-x\n")
    assert not _worth_showing("    manager1: SSH address: 127.0.0.1:2222\n")


def test_get_provider_knows_vagrant_and_names_the_choices():
    assert isinstance(get_provider("vagrant"), VagrantProvider)
    with pytest.raises(SpecError, match="dind, vm, ssh, vagrant"):
        get_provider("docker-machine")


def test_missing_vagrant_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path))
    monkeypatch.setattr(shutil, "which", lambda *_a, **_k: None)
    prov = VagrantProvider(VAGRANT_DIR)
    with pytest.raises(CapabilityMissing, match="apt-get install vagrant"):
        prov.create(ClusterSpec("vgu", 1, 0), Steps(quiet=True))


def test_a_folder_without_vagrantfile_is_refused(tmp_path):
    with pytest.raises(SpecError, match="No Vagrantfile"):
        VagrantProvider(tmp_path).create(ClusterSpec("vgu", 1, 0), Steps(quiet=True))


# ----- the Vagrantfile itself, loaded by Ruby with a stand-in for Vagrant's config API ---
RUBY_STUB = r"""
require "json"
class Anything
  def method_missing(*_args, &blk) = (blk ? blk.call(Anything.new, Anything.new) : Anything.new)
  def respond_to_missing?(*) = true
end
module Vagrant
  def self.configure(_v) = yield(Anything.new)
end
load ARGV[0]
puts JSON.generate({"nodes" => NODES, "cfg" => CFG})
"""


def ruby_vagrantfile(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": "/usr/bin:/bin", "SWARMLAB_VAGRANT_CONFIG": str(cwd / "none.yml"), **env}
    return subprocess.run(["ruby", "-e", RUBY_STUB, str(VAGRANT_DIR / "Vagrantfile")],
                          capture_output=True, text=True, env=clean, cwd=cwd)


needs_ruby = pytest.mark.skipif(not shutil.which("ruby"), reason="ruby (comes with vagrant)")


@needs_ruby
def test_the_vagrantfile_and_the_provider_agree_on_names_and_addresses(tmp_path):
    res = ruby_vagrantfile({"SWARMLAB_MANAGERS": "3", "SWARMLAB_WORKERS": "2",
                            "SWARMLAB_SUBNET": "192.168.58"}, tmp_path)
    assert res.returncode == 0, res.stderr
    nodes = dict(json.loads(res.stdout)["nodes"])
    spec = ClusterSpec("x", 3, 2)
    assert nodes == {n.name: node_address("192.168.58", n) for n in spec.nodes}


@needs_ruby
def test_the_vagrantfile_defaults_are_one_manager_two_workers(tmp_path):
    res = ruby_vagrantfile({}, tmp_path)
    out = json.loads(res.stdout)
    assert [n for n, _ in out["nodes"]] == ["manager1", "worker1", "worker2"]
    assert out["cfg"]["subnet"] == "192.168.56"  # inside VirtualBox's 192.168.56.0/21


@needs_ruby
@pytest.mark.parametrize("env, message", [
    ({"SWARMLAB_WORKERS": "two"}, "workers must be a whole number"),
    ({"SWARMLAB_MANAGERS": "0"}, "managers must be 1..9"),
    ({"SWARMLAB_LAB": "My Lab"}, "lab must match"),
    ({"SWARMLAB_SUBNET": "300.1"}, "subnet must be three octets"),
])
def test_the_vagrantfile_refuses_bad_settings_with_the_fix(tmp_path, env, message):
    res = ruby_vagrantfile(env, tmp_path)
    assert res.returncode != 0 and message in res.stderr


# ----- the offline box ----------------------------------------------------------------------
def test_box_version_is_a_version_vagrant_accepts_and_follows_the_recipe():
    from swarmlab.images.box import box_version

    a, b = box_version("0123abcd00000000"), box_version("fffffff000000000")
    assert a != b and a.startswith("1.0.") and all(p.isdigit() for p in a.split("."))


@pytest.mark.skipif(not shutil.which("qemu-img"), reason="qemu-img (qemu-utils)")
def test_the_box_holds_metadata_disk_kernel_and_its_vagrantfile(monkeypatch, tmp_path):
    from swarmlab.images import box, vm

    img = vm.VmImage(tmp_path / "img")
    img.folder.mkdir()
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(img.disk), "3G"], check=True)
    img.kernel.write_text("kernel")
    img.initrd.write_text("initrd")
    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(vm, "ensure_image", lambda *_a, **_k: img)
    path = box.build_box(Steps(quiet=True))
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
        meta = json.load(tar.extractfile("metadata.json"))  # type: ignore[arg-type]
        vfile = tar.extractfile("Vagrantfile").read().decode()  # type: ignore[union-attr]
    assert names == {"metadata.json", "Vagrantfile", "swarmlab-recipe", "box.img", "vmlinuz",
                     "initrd.img"}
    assert meta == {"provider": "libvirt", "format": "qcow2", "virtual_size": 3}
    assert 'lv.kernel = File.join(__dir__, "vmlinuz")' in vfile
    assert 'config.ssh.username = "root"' in vfile


def test_a_failure_shows_vagrants_message_not_its_ruby_backtrace():
    from swarmlab.providers.vagrant import without_backtrace

    out = [
        "==> manager1: Starting domain.",
        "==> manager1: Removing domain...",
        "/usr/lib/ruby/vendor_ruby/fog/libvirt/requests/compute/vm_action.rb:7:in `create': "
        "Call to virDomainCreateWithFlags failed: Failed to create PTY (Libvirt::Error)",
        "\tfrom /usr/lib/ruby/vendor_ruby/fog/libvirt/requests/compute/vm_action.rb:7:in "
        "`vm_action'",
        "/usr/share/rubygems-integration/all/gems/vagrant-2.3.4/lib/vagrant/action/warden.rb:48:"
        "in `call'",
    ]
    assert without_backtrace(out) == [
        "==> manager1: Starting domain.", "==> manager1: Removing domain...",
        "Call to virDomainCreateWithFlags failed: Failed to create PTY (Libvirt::Error)",
    ]


def fake_vagrant(tmp_path, monkeypatch, script: str) -> VagrantProvider:
    """A `vagrant` on PATH that runs ``script``; the lab's cache in tmp_path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "vagrant"
    exe.write_text("#!/bin/sh\n" + script + "\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path / "cache"))
    return VagrantProvider(VAGRANT_DIR)


def test_a_silent_hung_vagrant_is_stopped_at_its_time_limit(tmp_path, monkeypatch):
    from swarmlab.errors import ProviderError

    prov = fake_vagrant(tmp_path, monkeypatch, "echo '==> manager1: Booting'; exec sleep 30")
    with pytest.raises(ProviderError, match="took over 1s") as err:
        prov._vagrant("vgu", ["up"], timeout=1)
    assert "==> manager1: Booting" in str(err.value)  # where it was when it stopped


def test_a_failed_destroy_keeps_the_record_so_down_can_try_again(tmp_path, monkeypatch):
    from swarmlab.errors import ProviderError

    prov = fake_vagrant(tmp_path, monkeypatch, "echo 'The provider is busy' >&2; exit 1")
    prov._save("vgu", {"managers": 1, "workers": 0, "hosts": [], "used": []})
    (tmp_path / "cache" / "vagrant" / "vgu" / "state").mkdir()
    with pytest.raises(ProviderError, match="The provider is busy"):
        prov.delete("vgu")
    assert "vgu" in prov.labs()


@needs_ruby
def test_a_subnet_virtualbox_refuses_is_warned_about_except_for_libvirt(tmp_path):
    res = ruby_vagrantfile({"SWARMLAB_SUBNET": "10.1.2"}, tmp_path)
    assert res.returncode == 0 and "192.168.56.0/21" in res.stderr
    res = ruby_vagrantfile({"SWARMLAB_SUBNET": "10.1.2",
                            "VAGRANT_DEFAULT_PROVIDER": "libvirt"}, tmp_path)
    assert res.returncode == 0 and res.stderr == ""
