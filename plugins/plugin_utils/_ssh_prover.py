# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove from the controller that a host really takes password + one-time code over SSH.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

pam_oath asks in two keyboard-interactive rounds, ``Password: `` then ``One-time password (OATH)
for `user': ``, and refuses a code of a time step it has already accepted. So the prover takes the
code of a step later than the last one used on the host (a step ahead inside the window when the
caller allows it, else waiting for the next step when it must),
and first checks that a wrong code is refused, then that the right one is taken, and that the session
it opens runs a command (``echo`` of a fresh word: ForceCommand or MaxSessions 0 would let the login in
and the admin do nothing).

It talks only to the host Ansible reached: the host key the server presents in the key exchange must
be one of ``HostKeyPins`` (read over Ansible's own key-authenticated connection, or the controller's
known_hosts), checked before any password or code is sent. It goes the way Ansible goes (``SshRoute``:
straight, through a ProxyCommand or jump hosts).

Nothing here ever puts the password, the secret or a code into a message.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time

from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps
from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_route import SshRoute, parse_public_keys

with deps.declare("paramiko", reason="to log in over SSH with password and one-time code"):
    import paramiko

# Steps this controller process has used itself, per (host, port, user): a second proof in the same
# run must not replay the code of the first.
_USED_STEPS = {}


class ProofError(Fleet2faError):
    """The proof failed; the message says why and holds no secret."""


class HostKeyError(ProofError):
    """The server is not the host Ansible reached (or its keys are unknown); nothing was sent to it."""


def fingerprint(blob):
    """OpenSSH's SHA256 fingerprint of a public key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


class HostKeyPins:
    """The host keys a proof accepts for one host, from ``source`` (words for messages).

    ``load()`` gives the keys as OpenSSH public key lines; it is called once, when the first session
    needs them (after the TCP connection, before the key exchange), so a host that is down fails as
    unreachable rather than for its keys.
    """

    def __init__(self, load, source):
        self._load = load
        self.source = source
        self._keys = None

    @classmethod
    def from_lines(cls, lines, source):
        return cls(lambda: lines, source)

    @classmethod
    def from_known_hosts(cls, host, port, files=("~/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts")):
        """The controller's known_hosts entries of ``host`` (``[host]:port`` off port 22), as ssh reads them."""
        def load():
            known = paramiko.HostKeys()
            for name in files:
                path = os.path.expanduser(name)
                if os.path.isfile(path):
                    known.load(path)
            entry = known.lookup(host if int(port) == 22 else "[%s]:%d" % (host, int(port))) or {}
            return ["%s %s" % (kind, key.get_base64()) for kind, key in entry.items()]
        return cls(load, "the controller's known_hosts (%s)" % ", ".join(files))

    def keys(self):
        if self._keys is None:
            self._keys = parse_public_keys("\n".join(self._load() or []))
        return self._keys

    def restrict(self, transport, host):
        """Offer only host key algorithms of pinned key types, so the server shows a key that can match."""
        kinds = set(line.split()[0] for line in self.keys())
        if not kinds:
            raise HostKeyError("no host key of %s is known from %s: not sending the password" % (host, self.source))
        options = transport.get_security_options()
        wanted = tuple(alg for alg in options.key_types
                       if alg in kinds or (alg.startswith("rsa-sha2-") and "ssh-rsa" in kinds))
        if not wanted:
            raise HostKeyError("paramiko speaks none of the host key types of %s (%s)" % (host, ", ".join(sorted(kinds))))
        options.key_types = wanted

    def check(self, key, where):
        """Raise HostKeyError unless ``key`` (paramiko PKey the server showed) is pinned."""
        if key.get_base64() in set(line.split()[1] for line in self.keys()):
            return
        raise HostKeyError("%s presents the host key %s %s, which is none of the %d key(s) read from %s: it may not "
                           "be the host Ansible reached (keys changed, or something else answers there); not "
                           "sending the password" % (where, key.get_name(), fingerprint(key.asbytes()),
                                                     len(self.keys()), self.source))


def _is_otp_prompt(prompt):
    text = prompt.lower()
    return "one-time" in text or "oath" in text or "verification code" in text


class LoginProver:
    """Keyboard-interactive logins as ``user`` against one sshd."""

    def __init__(self, host, port, user, password, key, window=3, timeout=15, route=None, pins=None):
        deps.require("paramiko", "pyotp")
        self.host = host
        self.port = int(port)
        self.route = route or SshRoute(host, self.port)
        self.pins = pins
        self.user = user
        self.password = password
        self.key = key
        self.window = window
        self.timeout = timeout
        self.used_step = None  # the step of this prover's last proof

    def attempt(self, code, password=None, run_command=False):
        """True when sshd lets the user in with ``password`` (default: the right one) and ``code``.

        ``run_command``: once in, the session must also run a command (else ProofError).
        """
        password = self.password if password is None else password
        prompts_seen = []

        def answer(_title, _instructions, prompts):
            replies = []
            for prompt, _echo in prompts:
                prompts_seen.append("otp" if _is_otp_prompt(prompt) else "password")
                replies.append(code if _is_otp_prompt(prompt) else password)
            return replies

        transport = self._connect()
        try:
            try:
                transport.auth_interactive(self.user, answer)
            except paramiko.BadAuthenticationType:
                raise ProofError("sshd does not offer keyboard-interactive to %s" % self.user) from None
            except paramiko.AuthenticationException:
                return False
            if transport.is_authenticated() and run_command:
                self._run_check_command(transport, "password + code")
            return transport.is_authenticated()
        finally:
            transport.close()

    def check_host_key(self):
        """Key exchange only: the server shows a pinned host key (else HostKeyError); nothing is sent."""
        self._connect().close()

    def _run_check_command(self, transport, how):
        """``echo`` a fresh word in a session of ``transport``; ProofError naming what failed otherwise."""
        word = "fleet2fa-proof-" + secrets.token_hex(8)
        try:
            channel = transport.open_session(timeout=self.timeout)
            channel.settimeout(self.timeout)
            channel.exec_command("echo " + word)
            output = channel.makefile("rb").read().decode("utf-8", "replace")
            status = channel.recv_exit_status()
        except (paramiko.SSHException, OSError) as exc:
            raise ProofError("%s got %s in, but sshd opens no session to run a command (%s): MaxSessions?"
                             % (how, self.user, str(exc) or type(exc).__name__)) from None
        if status != 0 or word not in output.split():
            raise ProofError("%s got %s in, but the session ran no command (exit %s, the echoed check word "
                             "missing): ForceCommand or the account's shell?" % (how, self.user, status))

    def attempt_password_only(self):
        """True when the password alone (method "password") lets the user in."""
        transport = self._connect()
        try:
            try:
                transport.auth_password(self.user, self.password)
            except (paramiko.BadAuthenticationType, paramiko.AuthenticationException):
                return False
            if transport.is_authenticated():
                self._run_check_command(transport, "the password alone")
            return transport.is_authenticated()
        finally:
            transport.close()

    def _connect(self):
        """A transport whose server showed a pinned host key; nothing was sent to it but the key exchange."""
        if self.pins is None:
            raise HostKeyError("no host keys to check %s against: not sending the password" % self.host)
        # Right after a reload sshd re-executes itself; give it a moment to listen again.
        deadline = time.monotonic() + self.timeout
        where = self.route.describe()
        while True:
            transport = None
            try:
                transport = paramiko.Transport(self.route.open(self.timeout))
                self.pins.restrict(transport, self.host)
                transport.banner_timeout = self.timeout
                transport.auth_timeout = self.timeout
                transport.start_client(timeout=self.timeout)
            except (OSError, paramiko.SSHException) as exc:
                if transport is not None:
                    transport.close()
                if time.monotonic() >= deadline:
                    raise ProofError("cannot open an SSH session to %s: %s" % (where, exc)) from None
                time.sleep(0.2)
                continue
            except HostKeyError:
                transport.close()
                raise
            try:
                self.pins.check(transport.get_remote_server_key(), where)
            except HostKeyError:
                transport.close()
                raise
            return transport

    def wrong_code(self, at=None):
        """A code that is valid for no step pam_oath would accept around ``at``."""
        at = time.time() if at is None else at
        valid = set(self.key.code_at(at + offset * self.key.period) for offset in range(-self.window - 2, self.window + 3))
        for number in range(10 ** self.key.digits):
            candidate = str(number).zfill(self.key.digits)
            if candidate not in valid:
                return candidate
        raise ProofError("no wrong code found")  # unreachable with 6+ digits

    def fresh_step(self, last_used=None):
        """Wait, when needed, until the current step is later than every step already used; return it."""
        used = None if last_used is None else totp.time_step(self.key.period, last_used)
        return self.step_after(used)

    def step_after(self, used_step=None, ahead=0):
        """(step, seconds waited): the step whose code a proof uses, later than every step used.

        The current step when it is free; else the next one if it lies at most ``ahead`` steps ahead
        (and inside the window, where the host still takes it); only beyond that, wait for it.
        """
        period = self.key.period
        used = max(_USED_STEPS.get((self.host, self.port, self.user), -1), -1 if used_step is None else used_step)
        reach = max(0, min(ahead, self.window))
        waited = 0.0
        while totp.time_step(period) + reach <= used:
            pause = totp.seconds_to_next_step(period) + 0.05
            time.sleep(pause)
            waited += pause
        return max(totp.time_step(period), used + 1), waited

    def first_of_two_steps(self, used_step=None, ahead=0):
        """(step, seconds waited) for the first of two proofs in a row against one replay state.

        The step before the current one when it is free and the host takes it (inside the window),
        so that the second proof gets the current step and no proof takes a step still to come;
        else as step_after.
        """
        used = max(_USED_STEPS.get((self.host, self.port, self.user), -1), -1 if used_step is None else used_step)
        now = totp.time_step(self.key.period)
        if min(ahead, self.window) >= 1 and used < now - 1:
            return now - 1, 0.0
        return self.step_after(used_step, ahead)

    def prove(self, last_used=None, used_step=None, ahead=0):
        """Wrong code refused, then password + the code of a fresh step accepted. Returns what it did.

        ``last_used`` (a time) or ``used_step``: what the host took already; ``ahead``: see step_after.
        """
        started = time.monotonic()
        if self.attempt(self.wrong_code()):
            raise ProofError("a wrong one-time code was accepted for %s" % self.user)
        if last_used is not None:
            used_step = max(used_step if used_step is not None else -1, totp.time_step(self.key.period, last_used))
        step, waited = self.step_after(used_step, ahead)
        code = self.key.code_at(step * self.key.period)
        try:
            ok = self.attempt(code, run_command=True)
        finally:
            # The host took the code even when the session that followed ran nothing.
            _USED_STEPS[(self.host, self.port, self.user)] = step
            self.used_step = step
        if not ok:
            raise ProofError(
                "password + current one-time code were refused for %s (wrong verify_password, clock skew "
                "beyond the window, or pam_oath cannot use the users file)" % self.user
            )
        return {
            "user": self.user,
            "host": self.host,
            "port": self.port,
            "seconds": round(time.monotonic() - started, 2),
            "waited_for_next_step": waited > 0,
            "wrong_code_refused": True,
            "session_ran_command": True,
            "host_key_pinned": True,
            "via": self.route.via,
        }
