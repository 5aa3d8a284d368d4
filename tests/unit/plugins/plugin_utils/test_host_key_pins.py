# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A proof's server must show a pinned host key before any password is sent: against a real paramiko
server on a local socket that records every authentication attempt."""
from __future__ import annotations

import re
import socket
import threading

import paramiko
import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_prover import HostKeyError, HostKeyPins, LoginProver, ProofError

KEY = TotpKey("AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU")


class _RecordingServer(paramiko.ServerInterface):
    def __init__(self):
        self.attempts = []

    def get_allowed_auths(self, username):
        return "password,keyboard-interactive"

    def check_auth_password(self, username, password):
        self.attempts.append(("password", username))
        return paramiko.AUTH_FAILED

    def check_auth_interactive(self, username, submethods):
        self.attempts.append(("keyboard-interactive", username))
        return paramiko.AUTH_FAILED


@pytest.fixture
def server():
    """(port, the server's host key, its record of auth attempts): one SSH server thread per connection."""
    key = paramiko.ECDSAKey.generate()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    record = _RecordingServer()
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(key)
            try:
                transport.start_server(server=record)
            except (paramiko.SSHException, EOFError):
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], key, record
    stop.set()
    listener.close()


def _prover(port, pins):
    return LoginProver("127.0.0.1", port, "root", "the-password", KEY, timeout=3, pins=pins)


def test_a_host_key_that_is_not_pinned_fails_before_any_authentication(server):
    port, _key, record = server
    other = paramiko.ECDSAKey.generate()
    pins = HostKeyPins.from_lines(["%s %s" % (other.get_name(), other.get_base64())], "nas1 over Ansible's connection")
    with pytest.raises(HostKeyError) as failed:
        _prover(port, pins).attempt_password_only()
    message = str(failed.value)
    assert "presents the host key ecdsa-sha2-nistp256 SHA256:" in message
    assert "nas1 over Ansible's connection" in message and "not sending the password" in message
    assert "the-password" not in message
    assert record.attempts == []


def test_the_pinned_host_key_lets_the_proof_try_its_password(server):
    port, key, record = server
    pins = HostKeyPins.from_lines(["%s %s comment" % (key.get_name(), key.get_base64())], "nas1")
    assert _prover(port, pins).attempt_password_only() is False  # the recording server refuses every password
    assert record.attempts == [("password", "root")]


def test_without_pins_or_with_none_known_nothing_is_sent(server):
    port, _key, record = server
    with pytest.raises(HostKeyError, match="no host keys to check"):
        _prover(port, None).attempt_password_only()
    with pytest.raises(HostKeyError, match="no host key of 127.0.0.1 is known from an empty list"):
        _prover(port, HostKeyPins.from_lines([], "an empty list")).attempt_password_only()
    assert record.attempts == []


def test_known_hosts_pins_look_up_the_host_as_ssh_does(tmp_path):
    key = paramiko.ECDSAKey.generate()
    known = tmp_path / "known_hosts"
    line = "%s %s" % (key.get_name(), key.get_base64())
    known.write_text("[nas1]:2222 %s\nnas2 %s\n" % (line, line))
    assert HostKeyPins.from_known_hosts("nas1", 2222, files=(str(known),)).keys() == [line]
    assert HostKeyPins.from_known_hosts("nas2", 22, files=(str(known),)).keys()
    assert HostKeyPins.from_known_hosts("nas1", 22, files=(str(known),)).keys() == []


class _SessionServer(_RecordingServer):
    """Takes the password; then refuses sessions (``sessions=False``, like MaxSessions 0) or runs every
    command as /bin/false would (exit 1, no output, like ForceCommand /bin/false)."""

    def __init__(self, sessions):
        super().__init__()
        self.sessions = sessions

    def check_auth_password(self, username, password):
        self.attempts.append(("password", username))
        return paramiko.AUTH_SUCCESSFUL

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED if self.sessions else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        def run_as_bin_false():
            channel.send_exit_status(1)
            channel.close()

        threading.Timer(0.1, run_as_bin_false).start()  # after the reply to this request
        return True


@pytest.mark.parametrize("sessions, words", [
    (False, "but sshd opens no session to run a command"),
    (True, "but the session ran no command (exit 1"),
])
def test_a_login_whose_session_runs_no_command_fails_naming_it(server, sessions, words):
    port, key, record = server
    record.__class__ = _SessionServer
    record.sessions = sessions
    pins = HostKeyPins.from_lines(["%s %s" % (key.get_name(), key.get_base64())], "nas1")
    with pytest.raises(ProofError, match="the password alone got root in, " + re.escape(words)):
        _prover(port, pins).attempt_password_only()
