# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove from the controller that a host really takes password + one-time code over SSH.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

pam_oath asks in two keyboard-interactive rounds, ``Password: `` then ``One-time password (OATH)
for `user': ``, and refuses a code of a time step it has already accepted. So the prover takes the
code of a step later than the last one used on the host (a step ahead inside the window when the
caller allows it, else waiting for the next step when it must),
and first checks that a wrong code is refused, then that the right one is taken.

Nothing here ever puts the password, the secret or a code into a message.
"""

from __future__ import annotations

import socket
import time

from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps
from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError

with deps.declare("paramiko", reason="to log in over SSH with password and one-time code"):
    import paramiko

# Steps this controller process has used itself, per (host, port, user): a second proof in the same
# run must not replay the code of the first.
_USED_STEPS = {}


class ProofError(Fleet2faError):
    """The proof failed; the message says why and holds no secret."""


def _is_otp_prompt(prompt):
    text = prompt.lower()
    return "one-time" in text or "oath" in text or "verification code" in text


class LoginProver:
    """Keyboard-interactive logins as ``user`` against one sshd."""

    def __init__(self, host, port, user, password, key, window=3, timeout=15):
        deps.require("paramiko", "pyotp")
        self.host = host
        self.port = int(port)
        self.user = user
        self.password = password
        self.key = key
        self.window = window
        self.timeout = timeout
        self.used_step = None  # the step of this prover's last proof

    def attempt(self, code, password=None):
        """True when sshd lets the user in with ``password`` (default: the right one) and ``code``."""
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
            return transport.is_authenticated()
        finally:
            transport.close()

    def attempt_password_only(self):
        """True when the password alone (method "password") lets the user in."""
        transport = self._connect()
        try:
            try:
                transport.auth_password(self.user, self.password)
            except (paramiko.BadAuthenticationType, paramiko.AuthenticationException):
                return False
            return transport.is_authenticated()
        finally:
            transport.close()

    def _connect(self):
        # Right after a reload sshd re-executes itself; give it a moment to listen again.
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
                transport = paramiko.Transport(sock)
                transport.banner_timeout = self.timeout
                transport.auth_timeout = self.timeout
                transport.start_client(timeout=self.timeout)
                return transport
            except (OSError, paramiko.SSHException) as exc:
                if time.monotonic() >= deadline:
                    raise ProofError("cannot open an SSH session to %s:%d: %s" % (self.host, self.port, exc)) from None
                time.sleep(0.2)

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
        ok = self.attempt(code)
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
        }
