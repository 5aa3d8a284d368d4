# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors become exceptions that name host and version, and never carry a secret."""
from __future__ import annotations

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas import transport as truenas_transport
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import MiddlewareClient
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.errors import (
    AuthenticationError,
    CapabilityError,
    ConnectionLostError,
    InvalidRequestError,
    MethodRefusedError,
    MiddlewareError,
    NotAuthenticatedError,
    scrub,
)
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.transport import MidcltTransport, WebsocketTransport
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.version import UnsupportedVersionError

SECRET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URI = "otpauth://totp/iXsystems:root-nas1%40TrueNAS?secret=" + SECRET + "&issuer=iXsystems"


@pytest.mark.parametrize("text", [
    "bad thing " + URI,
    "secret=" + SECRET,
    "'secret': '" + SECRET + "'",
    "value " + SECRET + " refused",
])
def test_scrub_removes_uris_and_base32_secrets(text):
    cleaned = scrub(text)
    assert SECRET not in cleaned and "otpauth://" not in cleaned


def test_scrub_keeps_ordinary_error_words():
    assert scrub("[EINVAL] user.renew_2fa_secret.interval: Input should be 30 or 60") == \
        "[EINVAL] user.renew_2fa_secret.interval: Input should be 30 or 60"


def midclt(version, failing_method, rc, err):
    def run(argv):
        method = argv[3] if argv[2] == "--job" else argv[2]
        if method == "system.version":
            return 0, version + "\n", ""
        if method == failing_method:
            return rc, "", err
        return 0, "null\n", ""
    return MiddlewareClient(MidcltTransport(run, "/usr/bin/midclt", "nas1"))


@pytest.mark.parametrize("err,cls", [
    ("[ENOMETHOD] Method 'user.provisioning_uri' not found\n", MethodRefusedError),
    ("Traceback...\n[EPERM] Not authorized\n", MethodRefusedError),
    ("[EINVAL] user.renew_2fa_secret.interval: Input should be 30 or 60\n", InvalidRequestError),
    ("Failed connection handshake: [Errno 111] Connection refused\n", ConnectionLostError),
    ("Failed to connect to the middleware socket: [Errno 2] No such file or directory\n", ConnectionLostError),
    ("something odd happened\n", MiddlewareError),
])
def test_midclt_failures_map_to_error_kinds_naming_host_and_version(err, cls):
    c = midclt("TrueNAS-25.04.2", "user.provisioning_uri", 1, err)
    with pytest.raises(cls) as caught:
        c.call("user.provisioning_uri", "root")
    assert caught.value.__class__.__name__ == cls.__name__
    assert str(caught.value).startswith("nas1 (TrueNAS-25.04.2): ")
    assert "user.provisioning_uri" in str(caught.value)


def test_midclt_error_echoing_a_secret_is_scrubbed():
    c = midclt("TrueNAS-SCALE-24.10.2", "user.provisioning_uri", 1, "[EFAULT] oops " + URI + "\n")
    with pytest.raises(MiddlewareError) as caught:
        c.call("user.provisioning_uri", "root")
    assert SECRET not in str(caught.value)


def test_unknown_version_names_host_and_version_string():
    c = midclt("TrueNAS-27.0.0", None, 0, "")
    with pytest.raises(UnsupportedVersionError, match=r"^nas1 runs TrueNAS-27\.0\.0"):
        c.call("auth.twofactor.config")


@pytest.mark.parametrize("out,value", [
    ("True\n", True), ("False\n", False), ("null\n", None), ('{"enabled": true}\n', {"enabled": True}),
    ("TrueNAS-25.10.0\n", "TrueNAS-25.10.0"), ("42\n", 42), ("[]\n", []),
])
def test_midclt_output_is_decoded_the_way_midclt_prints_it(out, value):
    assert truenas_transport._decode_midclt_output(out) == value


def test_midclt_arguments_are_json_and_jobs_ask_midclt_to_wait():
    seen = []

    def run(argv):
        seen.append(argv)
        return 0, "true\n", ""
    MidcltTransport(run, "midclt").call("service.control", ["RELOAD", "ssh", {"silent": False}], job=True)
    assert seen == [["midclt", "call", "--job", "service.control", '"RELOAD"', '"ssh"', '{"silent": false}']]


def websocket_transport(path):
    transport = WebsocketTransport.__new__(WebsocketTransport)
    transport.host, transport.path, transport.timeout = "nas1", path, 30
    return transport


@pytest.mark.parametrize("path,error,cls", [
    ("/api/current", {"code": -32601, "message": "Method does not exist"}, MethodRefusedError),
    ("/api/current", {"code": -32001, "message": "Method call error",
                      "data": {"error": 22, "errname": "EINVAL", "reason": "[EINVAL] bad", "trace": None,
                               "extra": None}}, InvalidRequestError),
    ("/api/current", {"code": -32602, "message": "Invalid params",
                      "data": {"error": 22, "errname": "EINVAL", "reason": "interval: 30 or 60"}}, InvalidRequestError),
    ("/websocket", {"error": 2, "errname": "ENOMETHOD", "reason": "Method does not exist"}, MethodRefusedError),
    ("/websocket", {"error": 14, "errname": "EFAULT", "reason": "Please enable Two Factor Authentication first."},
     MiddlewareError),
])
def test_websocket_errors_in_both_protocols_map_to_error_kinds(path, error, cls):
    exc = websocket_transport(path)._error("auth.twofactor.renew_secret", error)
    assert exc.__class__.__name__ == cls.__name__
    assert str(exc).startswith("nas1 (%s endpoint" % path)


# The shapes each era really sends (the simulator's wire_jsonrpc.py and wire_legacy.py, after
# stable/goldeye mw:api/base/server/ws_handler/rpc.py, stable/bluefin mw:main.py, 13.0-stable mw:main.py).
VALIDATION_EXTRA = [["user_update.twofactor_auth_configured", "Field required", 22]]
WIRE_SHAPES = [
    # JSON-RPC 2.0 (25.04+)
    ("jsonrpc: not authenticated", "/api/current",
     {"code": -32001, "message": "Method call error",
      "data": {"error": 207, "errname": "ENOTAUTHENTICATED", "reason": "Not authenticated", "trace": None,
               "extra": None}}, NotAuthenticatedError, 207),
    ("jsonrpc: method does not exist", "/api/current", {"code": -32601, "message": "Method does not exist"},
     MethodRefusedError, None),
    ("jsonrpc: validation", "/api/current",
     {"code": -32602, "message": "Invalid params",
      "data": {"error": 22, "errname": "EINVAL", "reason": "[EINVAL] user_update.twofactor_auth_configured: Field "
               "required", "trace": {"class": "ValidationErrors"}, "extra": VALIDATION_EXTRA}},
     InvalidRequestError, 22),
    ("jsonrpc: not authorized", "/api/current",
     {"code": -32001, "message": "Method call error",
      "data": {"error": 13, "errname": "EACCES", "reason": "Not authorized", "trace": None, "extra": None}},
     MethodRefusedError, 13),
    ("jsonrpc: call error", "/api/current",
     {"code": -32001, "message": "Method call error",
      "data": {"error": 14, "errname": "EFAULT", "reason": "[EFAULT] Please enable Two Factor Authentication first.",
               "trace": None, "extra": None}}, MiddlewareError, 14),
    # legacy /websocket, SCALE 22.12 to 24.10
    ("scale: not authenticated", "/websocket",
     {"error": 207, "errname": "ENOTAUTHENTICATED", "type": None, "reason": "Not authenticated", "trace": None,
      "extra": None}, NotAuthenticatedError, 207),
    ("scale: no such method", "/websocket",
     {"error": 201, "errname": "ENOMETHOD", "type": None, "reason": "[ENOMETHOD] Method 'nope' not found in 'user'",
      "trace": {"class": "CallError"}, "extra": None}, MethodRefusedError, 201),
    ("scale: validation", "/websocket",
     {"error": 11, "errname": "EAGAIN", "type": "VALIDATION", "reason": "[EINVAL] user_update.x: Field required",
      "trace": {"class": "ValidationErrors"}, "extra": VALIDATION_EXTRA}, InvalidRequestError, 11),
    # legacy /websocket, 25.04 to 26 (the JSON-RPC app's checks)
    ("rpcapp: not authenticated", "/websocket",
     {"error": 207, "errname": "ENOTAUTHENTICATED", "type": None, "reason": "[ENOTAUTHENTICATED] Not authenticated",
      "trace": {"class": "CallError"}, "extra": None}, NotAuthenticatedError, 207),
    # CORE 13: no errname at all
    ("core: not authenticated", "/websocket",
     {"error": 13, "type": None, "reason": "Not authenticated", "trace": None, "extra": None},
     NotAuthenticatedError, 13),
    ("core: not authorized", "/websocket",
     {"error": 13, "type": None, "reason": "Not authorized", "trace": None, "extra": None}, MethodRefusedError, 13),
    ("core: no such method", "/websocket",
     {"error": 201, "type": None, "reason": "Method 'nope' not found in 'user'", "trace": None, "extra": None},
     MethodRefusedError, 201),
    ("core: validation", "/websocket",
     {"error": 11, "type": "VALIDATION", "reason": "[EINVAL] user_update.x: Field required", "trace": None,
      "extra": VALIDATION_EXTRA}, InvalidRequestError, 11),
]


@pytest.mark.parametrize("path,error,cls,number", [s[1:] for s in WIRE_SHAPES], ids=[s[0] for s in WIRE_SHAPES])
def test_websocket_errors_are_told_apart_by_their_codes_in_every_era(path, error, cls, number):
    exc = websocket_transport(path)._error("user.update", error)
    assert type(exc).__name__ == cls.__name__
    assert exc.errno == number
    assert str(exc).startswith("nas1 (%s endpoint" % path) and "user.update failed" in str(exc)


def test_not_authenticated_is_an_authentication_error_and_not_a_refused_method():
    exc = websocket_transport("/websocket")._error("user.query", WIRE_SHAPES[5][2])
    assert isinstance(exc, AuthenticationError) and not isinstance(exc, MethodRefusedError)


class RecordingSocket:
    """Stands in for the socket under test: records what would go on the wire, answers nothing."""

    def __init__(self):
        self.sent = []

    def send(self, text):
        self.sent.append(text)

    def recv(self):
        raise AssertionError("nothing may be sent, so nothing is awaited")


def connected_transport(url, path):
    transport = WebsocketTransport(url, timeout=5)
    transport.path, transport._ws = path, RecordingSocket()
    return transport


@pytest.mark.parametrize("url", ["ws://192.0.2.10", "ws://nas1.example.com:8080"])
def test_an_api_key_is_never_sent_over_plain_ws_to_a_jsonrpc_box(url):
    transport = connected_transport(url, "/api/current")
    with pytest.raises(CapabilityError) as caught:
        transport.login_with_api_key("7-" + "k" * 64, "root")
    assert transport._ws.sent == []
    message = str(caught.value)
    assert "api_url" in message and "wss://" in message and "k" * 16 not in message


@pytest.mark.parametrize("url", ["ws://127.0.0.1", "ws://localhost:80", "ws://[::1]:80"])
def test_an_api_key_may_go_over_ws_to_the_loopback(url):
    transport = connected_transport(url, "/api/current")
    with pytest.raises(AssertionError, match="nothing is awaited"):
        transport.login_with_api_key("7-" + "k" * 64, "root")
    assert len(transport._ws.sent) == 1 and '"auth.login_ex"' in transport._ws.sent[0]
