"""SSHTransport: run commands on a node over SSH (paramiko).

Keys and their folder live in ``swarmlab.keys`` and ``swarmlab.paths``. A node's host key
is recorded in the lab's known_hosts the first time the lab reaches it and must match
every time after (``transport.known_hosts``): a changed key is a ``ConnectError`` that
names the file and the command to forget the old key.
"""

from __future__ import annotations

import errno
import logging
import shlex
import socket
import threading
import time
from pathlib import Path

import paramiko

from swarmlab.errors import ConnectError, TransportError
from swarmlab.transport.base import CommandResult, OutputSink
from swarmlab.transport.channel import collect, feed
from swarmlab.transport.known_hosts import RecordFirstKey

# An emulated (TCG) VM on a busy host can take many seconds to send its banner or to
# check a key: wait that long for the handshake, and try it again before giving up.
HANDSHAKE_TIMEOUT = 30.0
CONNECT_ATTEMPTS = 3
# paramiko prints a traceback for every refused banner while a machine boots; the kit
# turns those failures into ConnectErrors itself. A configured root logger still sees them.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


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
        client.set_missing_host_key_policy(RecordFirstKey(self.known_hosts))
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

    def run(self, cmd: str, *, timeout: float | None = None, stdin: bytes | None = None,
            on_output: OutputSink | None = None) -> CommandResult:
        chan = self._channel(self._wrap(cmd, timeout))
        feeder = None
        if stdin is not None:
            feeder = threading.Thread(target=feed, args=(chan, stdin), daemon=True)
            feeder.start()
        else:
            chan.shutdown_write()
        # The node kills the command at `timeout`; this is the backstop for a dead link.
        deadline = None if not timeout else time.monotonic() + timeout + 15
        try:
            out, err, timed_out = collect(chan, on_output, deadline)
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


__all__ = ["SSHTransport"]
