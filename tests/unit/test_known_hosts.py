"""Forgetting a recorded host key when the kit has made a machine anew at that address."""

from __future__ import annotations

import paramiko

from swarmlab.transport.known_hosts import forget_host_key


def test_only_the_named_host_and_port_are_forgotten(tmp_path):
    path = tmp_path / "known_hosts"
    keys = paramiko.HostKeys()
    for name in ("[127.0.0.1]:42300", "[127.0.0.1]:42301", "10.0.0.5"):
        keys.add(name, "ssh-ed25519", _key())
    keys.save(str(path))
    assert forget_host_key(path, "127.0.0.1", 42300)
    assert not forget_host_key(path, "127.0.0.1", 42300)  # already gone
    left = paramiko.HostKeys(str(path))
    assert set(left.keys()) == {"[127.0.0.1]:42301", "10.0.0.5"}
    assert forget_host_key(path, "10.0.0.5")  # port 22 is written without brackets
    assert (path.stat().st_mode & 0o777) == 0o600


def test_no_file_is_nothing_to_forget(tmp_path):
    assert not forget_host_key(tmp_path / "none", "127.0.0.1", 2222)


def _key() -> paramiko.PKey:
    import io

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption())
    return paramiko.Ed25519Key.from_private_key(io.StringIO(pem.decode()))
