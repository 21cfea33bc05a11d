"""SSHTransport without a server: keys, files, error messages."""

from __future__ import annotations

import socket
import stat
import time

import paramiko
import pytest

from swarmlab.errors import ConnectError
from swarmlab.keys import lab_key
from swarmlab.paths import known_hosts_path
from swarmlab.transport import ssh
from swarmlab.transport.known_hosts import RecordFirstKey
from swarmlab.transport.ssh import SSHTransport


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SWARMLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_the_lab_key_is_made_once_in_a_private_folder(cache):
    key, pub = lab_key("hssh-u")
    assert key.parent == cache / "ssh" / "hssh-u"
    assert pub.split()[0] in ("ssh-ed25519", "ecdsa-sha2-nistp256")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache / "ssh").stat().st_mode) == 0o700
    assert lab_key("hssh-u") == (key, pub)
    paramiko.PKey.from_path(str(key))  # readable by the transport


def test_a_missing_key_file_is_a_connect_error_naming_it(tmp_path):
    t = SSHTransport("127.0.0.1", key_path=tmp_path / "nope", known_hosts=tmp_path / "kh")
    with pytest.raises(ConnectError, match=r"nope for node 127.0.0.1 does not exist"):
        t.run("true")


def test_a_host_that_refuses_is_a_connect_error_with_a_hint():
    key, _ = lab_key("hssh-u")
    t = SSHTransport("127.0.0.1", port=closed_port(), key_path=key,
                     known_hosts=known_hosts_path("hssh-u"), node="worker9")
    t0 = time.monotonic()
    with pytest.raises(ConnectError, match=r"Cannot reach node worker9 .*refused.*sshd running"):
        t.run("true")
    assert time.monotonic() - t0 < 2, "nothing listens: no handshake retries"


def test_a_host_that_accepts_but_never_speaks_ssh_is_retried_then_reported(monkeypatch):
    monkeypatch.setattr(ssh, "HANDSHAKE_TIMEOUT", 0.3)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # accepts (like a VM's port forward while it boots), never answers
    key, _ = lab_key("hssh-u")
    t = SSHTransport("127.0.0.1", port=server.getsockname()[1], key_path=key,
                     known_hosts=known_hosts_path("hssh-u"), connect_timeout=0.3)
    try:
        with pytest.raises(ConnectError, match="Cannot reach"):
            t.run("true")
    finally:
        server.close()


def test_the_command_runs_under_sh_with_a_timeout_on_the_node(tmp_path):
    t = SSHTransport("h", key_path=tmp_path / "k", known_hosts=tmp_path / "kh")
    assert t._wrap("echo 'a b'", None) == "exec sh -c 'echo '\"'\"'a b'\"'\"''"
    assert t._wrap("true", 5.5).startswith("exec timeout -k 2 5 sh -c ")
    t.sudo = True
    assert t._wrap("true", None) == "exec sudo -n sh -c true"


def test_first_contact_records_the_key_and_another_type_is_refused(tmp_path):
    kh = tmp_path / "known_hosts"
    policy = RecordFirstKey(kh)
    first = paramiko.ECDSAKey.generate()
    policy.missing_host_key(None, "[10.0.0.5]:2222", first)
    assert stat.S_IMODE(kh.stat().st_mode) == 0o600
    keys = paramiko.HostKeys(str(kh))
    assert keys.lookup("[10.0.0.5]:2222")["ecdsa-sha2-nistp256"] == first
    other = paramiko.RSAKey.generate(1024)
    with pytest.raises(paramiko.BadHostKeyException):
        policy.missing_host_key(None, "[10.0.0.5]:2222", other)
    policy.missing_host_key(None, "10.0.0.6", other)  # another host is fine
    assert len(paramiko.HostKeys(str(kh)).keys()) == 2


def test_the_changed_key_message_names_the_file_and_the_fix(tmp_path):
    t = SSHTransport("10.0.0.5", port=2222, key_path=tmp_path / "k",
                     known_hosts=tmp_path / "kh", node="manager1")
    new, old = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    msg = t._changed_key_message(paramiko.BadHostKeyException("[10.0.0.5]:2222", new, old))
    assert "manager1" in msg and str(tmp_path / "kh") in msg
    assert f"ssh-keygen -R '[10.0.0.5]:2222' -f {tmp_path / 'kh'}" in msg
