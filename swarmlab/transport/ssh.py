"""SSHTransport: run commands on a node over SSH (paramiko), with per-lab keys.

Each lab has a folder (``~/.cache/swarmlab/ssh/<lab>/``, mode 0700) holding the key the
kit made for it and a ``known_hosts`` file. A node's host key is recorded the first
time the lab reaches it and must match every time after: a changed key is a
``ConnectError`` that names the file and the command to forget the old key.
"""

from __future__ import annotations

import codecs
import errno
import logging
import os
import select
import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko

from swarmlab.errors import ConnectError, TransportError
from swarmlab.transport.base import CommandResult, OutputSink

KEY_NAME = "id_ed25519"
# An emulated (TCG) VM on a busy host can take many seconds to send its banner or to
# check a key: wait that long for the handshake, and try it again before giving up.
HANDSHAKE_TIMEOUT = 30.0
CONNECT_ATTEMPTS = 3
_FILE_LOCK = threading.Lock()  # known_hosts files are shared by every node of a lab
# paramiko prints a traceback for every refused banner while a machine boots; the kit
# turns those failures into ConnectErrors itself. A configured root logger still sees them.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


# ----- the lab's key folder ----------------------------------------------------------
def cache_root() -> Path:
    """``$SWARMLAB_CACHE``, else ``$XDG_CACHE_HOME/swarmlab``, else ``~/.cache/swarmlab``."""
    if os.environ.get("SWARMLAB_CACHE"):
        return Path(os.environ["SWARMLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "swarmlab"


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) a folder only its owner can read."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def lab_ssh_dir(lab: str) -> Path:
    """The folder with the lab's SSH key and known_hosts (created, 0700)."""
    private_dir(cache_root() / "ssh")
    return private_dir(cache_root() / "ssh" / lab)


def known_hosts_path(lab: str) -> Path:
    return lab_ssh_dir(lab) / "known_hosts"


def lab_key(lab: str) -> tuple[Path, str]:
    """(private key path, public key line) of the lab's own key; made on first use."""
    folder = lab_ssh_dir(lab)
    key = folder / KEY_NAME
    pub = folder / f"{KEY_NAME}.pub"
    if not (key.exists() and pub.exists()):
        _make_key(key, pub, comment=f"swarmlab-{lab}")
    return key, pub.read_text().strip()


def _make_key(key: Path, pub: Path, comment: str) -> None:
    for p in (key, pub):
        p.unlink(missing_ok=True)
    try:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)],
            check=True, capture_output=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        # No ssh-keygen here: paramiko can make an ECDSA key instead.
        k = paramiko.ECDSAKey.generate()
        k.write_private_key_file(str(key))
        pub.write_text(f"{k.get_name()} {k.get_base64()} {comment}\n")
    key.chmod(0o600)
    pub.chmod(0o600)


class _RecordFirstKey(paramiko.MissingHostKeyPolicy):
    """Trust on first use: record an unknown host's key; refuse a host known otherwise."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def missing_host_key(self, client: Any, hostname: str, key: paramiko.PKey) -> None:
        with _FILE_LOCK:
            keys = paramiko.HostKeys()
            if self.path.exists():
                keys.load(str(self.path))
            known = keys.lookup(hostname)
            if known:
                # Known under another key type: as suspicious as a changed key.
                old = next(iter(known.values()))
                raise paramiko.BadHostKeyException(hostname, key, old)
            keys.add(hostname, key.get_name(), key)
            _save_keys(keys, self.path)


def _save_keys(keys: paramiko.HostKeys, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    keys.save(str(tmp))
    os.replace(tmp, path)


def forget_host_key(known_hosts: Path, host: str, port: int = 22) -> bool:
    """Drop the recorded key of ``host:port`` (a machine the kit has just made anew)."""
    name = host if port == 22 else f"[{host}]:{port}"
    with _FILE_LOCK:
        if not known_hosts.exists():
            return False
        keys = paramiko.HostKeys()
        keys.load(str(known_hosts))
        if name not in keys:
            return False
        del keys[name]
        _save_keys(keys, known_hosts)
        return True


# ----- the transport ------------------------------------------------------------------
class _SlowHandshake(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class SSHTransport:
    """Runs ``sh -c CMD`` on a host over SSH; reconnects when the host came back."""

    def __init__(
        self,
        host: str,
        *,
        port: int = 22,
        user: str = "root",
        key_path: str | Path,
        known_hosts: str | Path,
        node: str = "",
        sudo: bool = False,
        connect_timeout: float = 10,
    ) -> None:
        self.host, self.port, self.user = host, int(port), user
        self.key_path = Path(key_path).expanduser()
        self.known_hosts = Path(known_hosts)
        self.node = node or host
        self.sudo = sudo
        self.connect_timeout = connect_timeout
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SSHTransport({self.user}@{self.host}:{self.port})"

    @property
    def target(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    # ----- connecting ---------------------------------------------------------------
    def connect(self) -> paramiko.Transport:
        """The live SSH connection, made (or made again after a reboot) when needed."""
        with self._lock:
            if self._client is not None:
                t = self._client.get_transport()
                if t is not None and t.is_active():
                    return t
                self._drop()
            self._client = self._new_client()
            t = self._client.get_transport()
            assert t is not None
            t.set_keepalive(5)
            return t

    def _new_client(self) -> paramiko.SSHClient:
        """Connect, retrying a handshake that a busy machine was too slow to finish."""
        pkey = self._load_key()
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                return self._connect_once(pkey)
            except _SlowHandshake as e:
                if attempt == CONNECT_ATTEMPTS:
                    raise ConnectError(self._unreachable_message(e.reason)) from None
                time.sleep(1)
        raise AssertionError("unreachable")

    def _connect_once(self, pkey: paramiko.PKey) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        if self.known_hosts.exists():
            client.load_host_keys(str(self.known_hosts))
        client.set_missing_host_key_policy(_RecordFirstKey(self.known_hosts))
        handshake = max(HANDSHAKE_TIMEOUT, self.connect_timeout)
        try:
            client.connect(
                self.host, port=self.port, username=self.user, pkey=pkey,
                timeout=self.connect_timeout, banner_timeout=handshake, auth_timeout=handshake,
                allow_agent=False, look_for_keys=False,
            )
        except paramiko.BadHostKeyException as e:
            client.close()
            raise ConnectError(self._changed_key_message(e)) from None
        except paramiko.AuthenticationException as e:
            client.close()
            if "timeout" in str(e).lower():
                raise _SlowHandshake(_reason(e)) from None
            raise ConnectError(
                f"{self.target} refused the SSH key {self.key_path} (node {self.node}). "
                f"Check the user name and that the key's .pub line is in "
                f"~{self.user}/.ssh/authorized_keys on that host."
            ) from None
        except (OSError, paramiko.SSHException, EOFError) as e:
            client.close()
            if _nothing_answers(e):  # no use trying again at once
                raise ConnectError(self._unreachable_message(_reason(e))) from None
            raise _SlowHandshake(_reason(e)) from None
        return client

    def _unreachable_message(self, reason: str) -> str:
        return (
            f"Cannot reach node {self.node} over SSH at {self.target}: {reason}. Is the "
            "machine on and sshd running? A machine that just booted needs a few seconds more."
        )

    def _load_key(self) -> paramiko.PKey:
        if not self.key_path.is_file():
            raise ConnectError(
                f"The SSH key {self.key_path} for node {self.node} does not exist. "
                "Fix the key path in the inventory (the private key, not the .pub)."
            )
        try:
            return paramiko.PKey.from_path(str(self.key_path))
        except paramiko.PasswordRequiredException:
            raise ConnectError(
                f"The SSH key {self.key_path} is protected by a passphrase. Give the kit a "
                "key without one (for example a key made only for the lab)."
            ) from None
        except (OSError, paramiko.SSHException, ValueError) as e:
            raise ConnectError(f"Cannot read the SSH key {self.key_path}: {_reason(e)}.") from None

    def _changed_key_message(self, e: paramiko.BadHostKeyException) -> str:
        name = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
        return (
            f"The SSH host key of node {self.node} ({self.target}) is not the one this lab "
            f"recorded in {self.known_hosts} (now {e.key.get_name()} "
            f"{e.key.fingerprint}). If the machine was rebuilt or re-created, forget the old "
            f"key: ssh-keygen -R '{name}' -f {self.known_hosts} ; otherwise something else "
            "answers at that address: do not go on."
        )

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # ----- running --------------------------------------------------------------------
    def _wrap(self, cmd: str, timeout: float | None) -> str:
        line = f"sh -c {shlex.quote(cmd)}"
        if timeout:
            # Killed on the node itself, so nothing keeps running after we give up.
            line = f"timeout -k 2 {int(max(1, timeout))} {line}"
        if self.sudo:
            line = f"sudo -n {line}"
        return f"exec {line}"

    def _channel(self, line: str) -> paramiko.Channel:
        """A session running ``line``; one reconnect when the old connection is dead."""
        for attempt in (1, 2):
            t = self.connect()
            try:
                chan = t.open_session(timeout=self.connect_timeout)
                chan.exec_command(line)
                return chan
            except (paramiko.SSHException, OSError, EOFError) as e:
                self.close()
                if attempt == 2:
                    raise ConnectError(
                        f"Lost the SSH connection to node {self.node} ({self.target}): "
                        f"{_reason(e)}. Is the machine still on?"
                    ) from None
        raise AssertionError("unreachable")

    def run(
        self,
        cmd: str,
        *,
        timeout: float | None = None,
        stdin: bytes | None = None,
        on_output: OutputSink | None = None,
    ) -> CommandResult:
        chan = self._channel(self._wrap(cmd, timeout))
        feeder = None
        if stdin is not None:
            feeder = threading.Thread(target=_feed, args=(chan, stdin), daemon=True)
            feeder.start()
        else:
            chan.shutdown_write()
        # The node kills the command at `timeout`; this is the backstop for a dead link.
        deadline = None if not timeout else time.monotonic() + timeout + 15
        try:
            out, err, timed_out = _collect(chan, on_output, deadline)
            code = -1 if timed_out else chan.recv_exit_status()
        finally:
            chan.close()
        if feeder is not None:
            feeder.join(timeout=5)
        if code == -1:
            if timed_out:
                return CommandResult(cmd, 124, out, err + f"\n[swarmlab] no answer from "
                                     f"{self.node} in {timeout}s", node=self.node)
            self.close()
            raise ConnectError(
                f"The SSH connection to node {self.node} ({self.target}) dropped while it "
                f"ran `{cmd[:80]}`. The machine may have stopped or rebooted."
            )
        return CommandResult(cmd, code, out, err, node=self.node)

    def put_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        if not self.sudo:
            try:
                self._sftp_put(path, data, mode)
                return
            except (OSError, paramiko.SSHException) as e:
                if "subsystem" not in str(e).lower() and "channel" not in str(e).lower():
                    raise TransportError(
                        f"Cannot write {path} on {self.node}: {_reason(e)}"
                    ) from None
        # No SFTP server (or root only through sudo): plain cat over stdin.
        q = shlex.quote(path)
        self.run(f"cat > {q} && chmod {mode:o} {q}", stdin=data, timeout=120).check(
            hint=f"the folder of {path} must exist and be writable by {self.user}"
        )

    def _sftp_put(self, path: str, data: bytes, mode: int) -> None:
        import io

        sftp = paramiko.SFTPClient.from_transport(self.connect())
        if sftp is None:
            raise paramiko.SSHException("no SFTP channel")
        try:
            sftp.putfo(io.BytesIO(data), path, confirm=False)
            sftp.chmod(path, mode)
        finally:
            sftp.close()


def _feed(chan: paramiko.Channel, data: bytes) -> None:
    try:
        for i in range(0, len(data), 1 << 16):
            chan.sendall(data[i : i + (1 << 16)])
        chan.shutdown_write()
    except (OSError, paramiko.SSHException, EOFError):
        pass  # the command stopped reading; its exit code tells why


def _collect(
    chan: paramiko.Channel, sink: OutputSink | None, deadline: float | None
) -> tuple[str, str, bool]:
    """Read stdout and stderr as they come, until the command ends or ``deadline``."""
    streams: dict[str, tuple[Callable[[int], bytes], Any, list[str]]] = {
        "stdout": (chan.recv, codecs.getincrementaldecoder("utf-8")("replace"), []),
        "stderr": (chan.recv_stderr, codecs.getincrementaldecoder("utf-8")("replace"), []),
    }
    ready = {"stdout": chan.recv_ready, "stderr": chan.recv_stderr_ready}
    while True:
        got = False
        for name, (recv, dec, parts) in streams.items():
            while ready[name]():
                text = dec.decode(recv(65536))
                got = True
                if text:
                    parts.append(text)
                    if sink:
                        sink(name, text)
        if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
            break
        if chan.closed and not got:
            break
        if deadline is not None and time.monotonic() > deadline:
            return _joined(streams) + (True,)
        if not got:
            select.select([chan], [], [], 0.05)
    for name, (recv, dec, parts) in streams.items():  # whatever came with the exit status
        rest = b""
        while ready[name]():
            rest += recv(65536)
        text = dec.decode(rest, final=True)
        if text:
            parts.append(text)
            if sink:
                sink(name, text)
    return _joined(streams) + (False,)


def _joined(streams: dict[str, tuple[Any, Any, list[str]]]) -> tuple[str, str]:
    return "".join(streams["stdout"][2]), "".join(streams["stderr"][2])


def _nothing_answers(e: BaseException) -> bool:
    """The TCP connection itself failed (as opposed to a handshake that was too slow)."""
    if isinstance(e, ConnectionRefusedError | socket.gaierror | TimeoutError
                  | paramiko.ssh_exception.NoValidConnectionsError):
        return True
    return isinstance(e, OSError) and e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH)


def _reason(e: BaseException) -> str:
    if isinstance(e, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(e, paramiko.ssh_exception.NoValidConnectionsError):
        return "connection refused"
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:200]


__all__ = ["SSHTransport", "known_hosts_path", "lab_key", "lab_ssh_dir"]
