# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Login proofs of the rollout, verify and disable roles, from the controller.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

- SSH with password + code (``LoginProver``: a wrong code refused, then the right one taken);
- SSH with the password alone (break glass: it must get in once the OTP is off);
- the TrueNAS web UI/API login with password + code, which the TrueNAS docs want proven before SSH
  2FA is turned on. Its TLS certificate is pinned to the one the box serves locally, as read over
  the key-authenticated SSH session by the preflight, or checked against a CA.

Every SSH proof goes the way the task's connection goes and talks only to the host it reached
(``proof_path``): the host keys are read over Ansible's own key-authenticated connection, or, without an
SSH connection, taken from the controller's known_hosts.

Messages never hold the password, the secret or a code.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import ssl
import tempfile
import time

from ansible.errors import AnsibleError

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.errors import MiddlewareError
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.transport import WebsocketTransport
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_prover import (
    HostKeyError,
    HostKeyPins,
    LoginProver,
    ProofError,
)
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_route import (
    PARAMIKO_TRANSPORTS,
    READ_HOST_KEYS,
    SSH_TRANSPORTS,
    ansible_route,
    ansible_ssh_argv,
    key_login,
    parse_public_keys,
)


def connection_transport(action):
    """The task connection's transport name (ssh, paramiko, local, ...)."""
    return getattr(action._connection, "transport", None) or ""


def proof_path(action, task_vars, address, port, port_given):
    """(SshRoute, HostKeyPins) of a proof from ``action`` (a CollectionAction) to ``address:port``."""
    transport = connection_transport(action)
    route = ansible_route(transport, action.connection_option, address, port, port_given)
    if transport not in SSH_TRANSPORTS + PARAMIKO_TRANSPORTS:
        return route, HostKeyPins.from_known_hosts(route.host, route.port)
    host = task_vars.get("inventory_hostname", address)

    def read_over_connection():
        try:
            done = action._low_level_execute_command(READ_HOST_KEYS)
        except AnsibleError as exc:
            raise HostKeyError("cannot read the host keys of %s over Ansible's connection: %s"
                               % (host, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)) from None
        keys = parse_public_keys(done.get("stdout"))
        if not keys:
            raise HostKeyError("no SSH host key found on %s over Ansible's connection (rc %s): not sending the "
                               "password" % (host, done.get("rc")))
        return keys

    return route, HostKeyPins(read_over_connection, "%s over Ansible's connection" % host)


def automation_key_login(action, user, destination, port, port_given, pins, timeout):
    """Ansible's account ``user`` logs in by key alone on a fresh connection and runs a command, or ProofError.

    Only for an ``ssh`` connection that logs in by key: then it is the controller's own ssh client with
    the connection's options (key_login), the host keys pinned. Returns what it checked, or why it did not.
    """
    started = time.monotonic()
    if connection_transport(action) not in SSH_TRANSPORTS:
        return {"skipped": "the task's connection is not ssh"}
    if action.connection_option("password") or action.connection_option("private_key"):
        return {"skipped": "Ansible's connection does not log in with a key file or the agent"}
    folder = tempfile.mkdtemp(prefix="fleet2fa-known-")
    try:
        known = os.path.join(folder, "known_hosts")
        with os.fdopen(os.open(known, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write("".join("fleet2fa-proof %s\n" % line for line in pins.keys()))
        failed = key_login(action.connection_option("ssh_executable"),
                           ansible_ssh_argv(action.connection_option, port=port if port_given else None),
                           destination, user, known, timeout, "fleet2fa-proof-" + secrets.token_hex(8))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if failed:
        raise ProofError("the automation account %s cannot log in by key on a fresh connection and run a command "
                         "(Ansible would be locked out): %s" % (user or "of Ansible's connection", failed))
    return {"user": user, "fresh_connection": True, "session_ran_command": True,
            "seconds": round(time.monotonic() - started, 2)}


class PinnedWebsocket(WebsocketTransport):
    """The middleware websocket, trusting exactly one certificate (by SHA-256 of its DER) when pinned."""

    def __init__(self, url, pin_sha256=None, **kwargs):
        super().__init__(url, **kwargs)
        self.pin_sha256 = (pin_sha256 or "").lower() or None

    def _sslopt(self):
        if self.pin_sha256 and self.url.startswith("wss://"):
            # Chain and name are not checked: the pin below is stricter than both.
            return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
        return super()._sslopt()

    def connect(self):
        super().connect()
        if self.pin_sha256 and self.url.startswith("wss://"):
            der = self._ws.sock.getpeercert(binary_form=True)
            seen = hashlib.sha256(der or b"").hexdigest()
            if seen != self.pin_sha256:
                self.close()
                raise ProofError("the API of %s presents another TLS certificate than the box serves locally "
                                 "(sha256 %s..., expected %s...): not sending the password"
                                 % (self.host, seen[:16], self.pin_sha256[:16]))
        return self


class FleetProof:
    """Proofs for one host and user. ``key`` is the escrowed TotpKey.

    ``used_step`` is the latest step whose code the host's pam_oath took (the escrow's
    last_otp_step); each proof that makes the host take one moves it on. ``ahead`` is how many steps
    ahead of now a proof may take its code rather than wait (TrueNAS: its window; Linux: 0).
    """

    def __init__(self, host, port, user, password, key, window=3, timeout=15, used_step=None, ahead=0, route=None,
                 pins=None):
        self.host, self.port, self.user, self.password, self.key = host, int(port), user, password, key
        self.route, self.pins = route, pins
        self.window = window
        self.timeout = timeout
        self.used_step = used_step
        self.ahead = ahead

    def _prover(self):
        return LoginProver(self.host, self.port, self.user, self.password, self.key, self.window, self.timeout,
                           route=self.route, pins=self.pins)

    def ssh_otp(self):
        prover = self._prover()
        done = prover.prove(used_step=self.used_step, ahead=self.ahead)
        self.used_step = prover.used_step
        return dict(done, kind="ssh_otp")

    def ssh_password(self):
        started = time.monotonic()
        if not self._prover().attempt_password_only():
            raise ProofError("the password alone was refused for %s over SSH (break glass would not work)" % self.user)
        return {"kind": "ssh_password", "user": self.user, "host": self.host, "port": self.port,
                "seconds": round(time.monotonic() - started, 2), "session_ran_command": True, "host_key_pinned": True,
                "via": self.route.via if self.route else None}

    def api_otp(self, url, pin_sha256=None, validate_certs=True, ca_path=None, shares_ssh_replay=True):
        """Web UI/API login: a wrong code refused, then password + a fresh code taken.

        Up to 25.10 the middleware checks the code with pyotp, which keeps no replay state (stable/fangtooth
        mw:utils/account/authenticator.py): the current step serves, and SSH may use it too. From 26 it
        goes through PAM with the same /etc/users.oath as sshd (stable/26
        src/middlewared/middlewared/etc_files/pam.d/truenas.mako:20, sshd_linux.mako:16): one replay
        state, so the API takes the step before the current one (inside the window, later than the used
        one) and SSH the current one: two adjacent steps, none still to come for the admins.
        """
        started = time.monotonic()
        prover = self._prover()

        def login(code):
            transport = PinnedWebsocket(url, pin_sha256=pin_sha256, validate_certs=validate_certs, ca_path=ca_path,
                                        timeout=self.timeout, host=self.host)
            try:
                return transport.login_with_password(self.user, self.password, code)
            except MiddlewareError as exc:
                # Their messages name the box and the method, never the arguments.
                raise ProofError("API login at %s failed: %s" % (url, exc)) from None
            finally:
                transport.close()

        if login(prover.wrong_code()):
            raise ProofError("the TrueNAS API took a wrong one-time code for %s" % self.user)
        if shares_ssh_replay:
            step, waited = prover.first_of_two_steps(self.used_step, self.ahead)
        else:
            step, waited = totp.time_step(self.key.period), 0.0
        if not login(self.key.code_at(step * self.key.period)):
            raise ProofError("the TrueNAS API refused password + current code for %s (wrong password, clock skew "
                             "or a secret the box does not hold)" % self.user)
        if shares_ssh_replay:
            self.used_step = step
        return {"kind": "api_otp", "user": self.user, "host": self.host, "url": url, "pinned": bool(pin_sha256),
                "seconds": round(time.monotonic() - started, 2), "waited_for_next_step": waited > 0,
                "wrong_code_refused": True}
