# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two ways to reach a TrueNAS middleware (docs/truenas.md §1). No REST: Basic auth stops
working once 2FA is on, and REST is gone in 26.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

``MidcltTransport`` runs ``midclt call`` on the box itself. Ansible got there with its SSH key, and
midclt talks to the local Unix socket as root, so there is no login and no one-time code, from
CORE 13 to 26.

``WebsocketTransport`` speaks to the box over the network with an API key: JSON-RPC 2.0 at
``/api/current`` (25.04+), or the DDP-style ``/websocket`` (connect/connected, method/result) before.

Both raise the exceptions of ``errors.py`` with ``where`` naming the host; the client adds the
version once it knows it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import ssl
import time
import uuid

from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.errors import (
    AuthenticationError,
    CapabilityError,
    ConnectionLostError,
    MethodRefusedError,
    MiddlewareError,
    classify,
    classify_wire,
)

with deps.declare("websocket-client", reason="for transport=websocket"):
    import websocket

_ERRNAME_RE = re.compile(r"\[(E[A-Z0-9_]+)\]\s*(.*)")
_JOB_DONE = ("SUCCESS", "FAILED", "ABORTED")


def _is_loopback(host):
    """True for localhost and loopback addresses (the box does not revoke keys from those)."""
    if host.startswith("["):
        name = host[1:].split("]")[0]
    else:
        name = host.split(":")[0] if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _decode_midclt_output(text):
    """midclt prints JSON for lists, dicts and null, but str() for strings, numbers and booleans."""
    text = text.strip()
    if text in ("True", "False"):
        return text == "True"
    if text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class MidcltTransport:
    """``midclt call [--job] METHOD ARG...`` on the box; ``run(argv)`` returns (rc, stdout, stderr)."""

    name = "midclt"

    def __init__(self, run, midclt="midclt", host="the box"):
        self._run = run
        self._midclt = midclt
        self.host = host

    def call(self, method, params=(), job=False):
        argv = [self._midclt, "call"]
        if job:
            argv.append("--job")
        argv.append(method)
        argv.extend(json.dumps(param) for param in params)
        rc, out, err = self._run(argv)
        if rc == 0:
            return _decode_midclt_output(out)
        raise self._error(method, rc, out, err)

    def _error(self, method, rc, out, err):
        lines = [line.strip() for line in (err or out or "").splitlines() if line.strip()]
        errname, reason = None, ""
        for line in lines:
            match = _ERRNAME_RE.search(line)
            if match:
                errname, reason = match.group(1), match.group(2)
                break
        if not errname and lines:
            reason = lines[-1]
        text = " ".join(lines).lower()
        # "Daemon not running?" is the official midclt's own words when the socket does not answer
        # (truenas/api_client stable/goldeye truenas_api_client/__init__.py:1085-1087).
        if errname is None and any(word in text for word in ("connection refused", "no such file", "failed connection", "failed to connect",
                                                             "middlewared is not running", "daemon not running", "broken pipe")):
            return ConnectionLostError(self.host, "midclt could not reach the middleware during %s" % method,
                                       reason, method=method)
        cls = classify(errname, reason)
        return cls(self.host, "%s failed (midclt exit %d)" % (method, rc), reason, errname, method=method)

    def close(self):
        pass


class WebsocketTransport:
    """The middleware's websocket API over the network, logged in with an API key.

    ``url`` is a base such as ``wss://nas1.example.com``; when it has no path, ``/api/current`` is
    tried first and ``/websocket`` second, so one setting serves every version.
    """

    name = "websocket"

    def __init__(self, url, validate_certs=True, ca_path=None, timeout=30, host=None):
        deps.require("websocket-client")
        self.url = url.rstrip("/")
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.host = host or re.sub(r"^wss?://", "", self.url).split("/")[0]
        self.path = None
        self._ws = None
        self._next_id = 0

    # Connection ------------------------------------------------------------------------------

    @property
    def jsonrpc(self):
        return self.path != "/websocket"

    @property
    def where(self):
        era = "25.04 or later" if self.jsonrpc else "before 25.04"
        return "%s (%s endpoint, TrueNAS %s)" % (self.host, self.path, era)

    def _sslopt(self):
        if not self.url.startswith("wss://"):
            return None
        if not self.validate_certs:
            return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
        opts = {"cert_reqs": ssl.CERT_REQUIRED, "check_hostname": True}
        if self.ca_path:
            opts["ca_certs"] = self.ca_path
        return opts

    def connect(self):
        has_path = re.match(r"^wss?://[^/]+/.+", self.url)
        candidates = [""] if has_path else ["/api/current", "/websocket"]
        last = None
        for path in candidates:
            try:
                self._ws = websocket.create_connection(self.url + path, timeout=self.timeout, sslopt=self._sslopt())
            except websocket.WebSocketBadStatusException as exc:
                last = exc
                continue
            except ssl.SSLError as exc:
                raise ConnectionLostError(self.host, "TLS handshake with %s failed" % (self.url + path),
                                          "%s (set api_ca_path, or api_validate_certs=false for a lab box)" % exc) from None
            except (OSError, websocket.WebSocketException) as exc:
                raise ConnectionLostError(self.host, "could not connect to %s" % (self.url + path), str(exc)) from None
            self.path = path or "/" + self.url.split("/", 3)[3]
            if not self.jsonrpc:
                self._ddp_handshake()
            return self
        raise ConnectionLostError(self.host, "no middleware websocket endpoint answered at %s" % self.url, str(last))

    def _ddp_handshake(self):
        self._send({"msg": "connect", "version": "1", "support": ["1"]})
        reply = self._recv("connect")
        if reply.get("msg") != "connected":
            raise ConnectionLostError(self.host, "the legacy /websocket endpoint did not accept the connection",
                                      reply.get("msg", ""))

    def close(self):
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:  # pylint: disable=broad-except
                pass
            self._ws = None

    # Wire ------------------------------------------------------------------------------------

    def _send(self, message):
        try:
            self._ws.send(json.dumps(message))
        except (OSError, websocket.WebSocketException) as exc:
            raise ConnectionLostError(self.where, "the connection was lost while sending %s"
                                      % message.get("method", "a message"), str(exc)) from None

    def _recv(self, method):
        try:
            raw = self._ws.recv()
        except websocket.WebSocketTimeoutException:
            raise ConnectionLostError(self.where, "no answer to %s within %d seconds" % (method, self.timeout)) from None
        except (OSError, websocket.WebSocketException) as exc:
            raise ConnectionLostError(self.where, "the connection was lost during %s" % method, str(exc)) from None
        if not raw:
            raise ConnectionLostError(self.where, "the connection was closed during %s" % method)
        try:
            return json.loads(raw)
        except ValueError:
            raise MiddlewareError(self.where, "%s: the box sent something that is not JSON" % method) from None

    def call(self, method, params=(), job=False):
        if self._ws is None:
            self.connect()
        result = self._call_once(method, list(params))
        if job:
            return self._wait_job(method, result)
        return result

    def _call_once(self, method, params):
        self._next_id += 1
        call_id = self._next_id if self.jsonrpc else str(uuid.uuid4())
        if self.jsonrpc:
            self._send({"jsonrpc": "2.0", "id": call_id, "method": method, "params": params})
        else:
            self._send({"id": call_id, "msg": "method", "method": method, "params": params})
        while True:
            reply = self._recv(method)
            if not self.jsonrpc and reply.get("msg") == "ping":
                self._send({"msg": "pong", "id": reply.get("id")})
                continue
            if reply.get("id") != call_id:
                continue  # an event or a notification
            error = reply.get("error")
            if error:
                raise self._error(method, error)
            return reply.get("result")

    def _error(self, method, error):
        cls, errname, number, reason = classify_wire(error if isinstance(error, dict) else {}, self.jsonrpc)
        return cls(self.where, "%s failed" % method, reason, errname, number, method=method)

    def _wait_job(self, method, job_id):
        deadline = time.monotonic() + max(self.timeout, 120)
        while time.monotonic() < deadline:
            jobs = self._call_once("core.get_jobs", [[["id", "=", job_id]]])
            job = jobs[0] if jobs else None
            if job and job.get("state") in _JOB_DONE:
                if job["state"] != "SUCCESS":
                    raise MiddlewareError(self.where, "job %s failed" % method, job.get("error") or job["state"],
                                          method=method)
                return job.get("result")
            time.sleep(0.5)
        raise ConnectionLostError(self.where, "job %s did not finish in time" % method)

    # Logins ----------------------------------------------------------------------------------

    def login_with_api_key(self, api_key, username=None):
        """Log in with an API key: login_ex API_KEY_PLAIN on 25.04+ when a username is known."""
        if self._ws is None:
            self.connect()
        self._refuse_key_in_clear()
        try:
            if self.jsonrpc and username:
                reply = self._call_once("auth.login_ex", [{"mechanism": "API_KEY_PLAIN", "username": username,
                                                           "api_key": api_key}])
                kind = reply.get("response_type") if isinstance(reply, dict) else None
                ok = kind == "SUCCESS"
            else:
                kind, ok = None, self._call_once("auth.login_with_api_key", [api_key]) is True
        except MethodRefusedError as exc:
            raise AuthenticationError(self.where, "the API key login was refused", exc.reason, exc.errname) from None
        if kind == "EXPIRED":
            # stable/goldeye mw:plugins/auth.py:936-958: a revoked or expired key answers EXPIRED.
            raise AuthenticationError(self.where, "the API key is revoked or expired (the box answered EXPIRED): "
                                      "mint a new one and send it over wss:// only")
        if not ok:
            raise AuthenticationError(self.where, "the API key was refused (wrong, revoked or expired key%s)"
                                      % (", or a key of another user than %s" % username if username else ""))

    def _refuse_key_in_clear(self):
        """Refuse, before sending it, an API key over plain ws:// to a 25.04+ box off the loopback.

        From 25.04 the box revokes a correct key that arrives over an insecure transport, anything but
        AF_UNIX, TLS or a loopback peer (middleware PR 15457; stable/goldeye mw:plugins/auth.py:936-958,
        mw:utils/origin.py:135-151), on either endpoint. Before 25.04 it takes the key (in clear).
        """
        if not self.url.startswith("ws://") or _is_loopback(self.host):
            return
        if self.jsonrpc or self._answers_jsonrpc():
            raise CapabilityError(self.where, "refusing to send the API key over plain ws:// (api_url=%s)" % self.url,
                                  "TrueNAS 25.04 and later revoke a key sent without TLS (middleware PR 15457): "
                                  "set api_url to wss://%s" % self.host)

    def _answers_jsonrpc(self):
        """True when the box also serves /api/current: it is 25.04 or later (or cannot be told apart)."""
        base = re.match(r"^(wss?://[^/]+)", self.url).group(1)
        try:
            probe = websocket.create_connection(base + "/api/current", timeout=self.timeout)
        except websocket.WebSocketBadStatusException:
            return False  # no JSON-RPC endpoint: before 25.04
        except (OSError, websocket.WebSocketException):
            return True  # unknown: keep the key rather than risk it
        probe.close()
        return True

    def login_with_password(self, username, password, otp_token=None):
        """Password + one-time code, as the web UI does; True when the box lets us in.

        Up to 24.10 ``auth.login(user, password, otp)``; from 25.04 ``auth.login_ex`` PASSWORD_PLAIN,
        then ``auth.login_ex_continue`` OTP_TOKEN when the box answers OTP_REQUIRED (docs/truenas.md §5).
        """
        if self._ws is None:
            self.connect()
        if not self.jsonrpc:
            return self._call_once("auth.login", [username, password, otp_token]) is True
        reply = self._call_once("auth.login_ex", [{"mechanism": "PASSWORD_PLAIN", "username": username,
                                                   "password": password}])
        kind = reply.get("response_type") if isinstance(reply, dict) else None
        if kind == "OTP_REQUIRED":
            if otp_token is None:
                return False
            reply = self._call_once("auth.login_ex_continue", [{"mechanism": "OTP_TOKEN", "otp_token": otp_token}])
            kind = reply.get("response_type") if isinstance(reply, dict) else None
        return kind == "SUCCESS"
