# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the TrueNAS middleware client.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Every message names the box and, once it is known, its version. None may hold a secret: modules put
these messages into results, and ansible-core prints failure messages even under no_log. Text that
comes from the box (a reason, a midclt traceback) goes through ``scrub`` first, because a failing
call about 2FA could echo an otpauth URI or a base32 secret.
"""

from __future__ import annotations

import re

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError

# An otpauth URI, a ``secret=`` parameter, or a long base32 run (a TOTP secret is 16+ characters).
_SECRET_PATTERNS = (
    re.compile(r"otpauth://\S+"),
    re.compile(r"(?i)(secret[\"']?\s*[=:]\s*[\"']?)[A-Z2-7=]+"),
    re.compile(r"(?<![A-Za-z0-9_])[A-Z2-7]{16,}=*(?![A-Za-z0-9_])"),
)
_MAX_REASON = 400


def scrub(text):
    """``text`` with anything that could be secret material replaced, and cut to a sane length."""
    if text is None:
        return ""
    text = str(text)
    text = _SECRET_PATTERNS[0].sub("<otpauth URI withheld>", text)
    text = _SECRET_PATTERNS[1].sub(r"\1<withheld>", text)
    text = _SECRET_PATTERNS[2].sub("<withheld>", text)
    text = " ".join(text.split())
    if len(text) > _MAX_REASON:
        text = text[:_MAX_REASON] + "..."
    return text


class MiddlewareError(Fleet2faError):
    """A call to the middleware failed. ``where`` is "host (version)" or just the host."""

    def __init__(self, where, what, reason="", errname=None, errno=None, method=None):
        self.where = where
        self.what = what
        self.reason = scrub(reason)
        self.errname = errname
        self.errno = errno
        self.method = method
        message = "%s: %s" % (where, what)
        if errname and self.reason and errname not in self.reason:
            message += ": [%s] %s" % (errname, self.reason)
        elif self.reason:
            message += ": %s" % self.reason
        elif errname:
            message += ": [%s]" % errname
        super().__init__(message)


class MethodRefusedError(MiddlewareError):
    """The box does not offer the method to us: unknown, private, or not allowed."""


class AuthenticationError(MiddlewareError):
    """The box refused our credentials (API key)."""


class ConnectionLostError(MiddlewareError):
    """The box could not be reached, or went away in the middle of a call."""


class InvalidRequestError(MiddlewareError):
    """The box refused the arguments (validation error, EINVAL)."""


class CapabilityError(MiddlewareError):
    """We refuse, before calling the box, something its version cannot do safely."""


class NotAuthenticatedError(AuthenticationError):
    """The box ran no method for us because the connection is not logged in (errno 207)."""


# errnames the middleware uses for methods it will not run for us.
REFUSED_ERRNAMES = ("ENOMETHOD", "EPERM", "EACCES", "ENOTAUTHENTICATED")
INVALID_ERRNAMES = ("EINVAL",)

# The middleware's own errnos (stable/goldeye mw:error.py: ENOMETHOD 201, ENOTAUTHENTICATED 207) and
# the POSIX ones it sends: EPERM 1, EAGAIN 11 (ValidationErrors on the legacy socket), EACCES 13, EINVAL 22.
ENOMETHOD, ENOTAUTHENTICATED = 201, 207
EPERM, EAGAIN, EACCES, EINVAL = 1, 11, 13, 22
# JSON-RPC 2.0 codes of /api/current (stable/goldeye mw:api/base/server/ws_handler/rpc.py:317-322, :366-373).
JSONRPC_METHOD_NOT_FOUND, JSONRPC_INVALID_PARAMS = -32601, -32602
_ERRNAME_OF = {ENOMETHOD: "ENOMETHOD", ENOTAUTHENTICATED: "ENOTAUTHENTICATED", EPERM: "EPERM", EAGAIN: "EAGAIN",
               EACCES: "EACCES", EINVAL: "EINVAL"}


def classify(errname, reason):
    """The exception class for a middleware error, from its errname and reason (midclt's text)."""
    lowered = (reason or "").lower()
    if errname in REFUSED_ERRNAMES or "private method" in lowered or "method does not exist" in lowered \
            or ("method" in lowered and "not found" in lowered):
        return MethodRefusedError
    if errname in INVALID_ERRNAMES or "validation" in lowered:
        return InvalidRequestError
    return MiddlewareError


def classify_wire(error, jsonrpc):
    """(exception class, errname, errno, reason) of an ``error`` object the websocket sent, by its codes.

    JSON-RPC (25.04+): -32601 "Method does not exist" without data; -32602 "Invalid params" with data
    {error: 22, errname: EINVAL, reason, trace, extra: [[attribute, message, errno], ...]}; -32001
    "Method call error" with the same data for the rest (rpc.py:374-392).
    Legacy /websocket: {error, errname, type, reason, trace, extra}; ValidationErrors are errno EAGAIN
    with type VALIDATION (stable/bluefin mw:main.py:206-207, stable/electriceel :234). CORE 13 sends no
    errname, and says "Not authenticated" with EACCES (truenas/13.0-stable mw:main.py:56-70, :263-265).
    """
    if jsonrpc:
        data = error.get("data") if isinstance(error.get("data"), dict) else {}
        code, number = error.get("code"), data.get("error")
        errname, reason = data.get("errname"), data.get("reason") or error.get("message", "")
        etype = None
    else:
        code, number = None, error.get("error")
        errname, reason, etype = error.get("errname"), error.get("reason") or "", error.get("type")
    if not isinstance(number, int) or isinstance(number, bool):
        number = None
    core_not_authenticated = number == EACCES and not errname and (reason or "").strip() == "Not authenticated"
    errname = errname or _ERRNAME_OF.get(number)
    cls = MiddlewareError
    if number == ENOTAUTHENTICATED or errname == "ENOTAUTHENTICATED" or core_not_authenticated:
        cls = NotAuthenticatedError
    elif code == JSONRPC_METHOD_NOT_FOUND or number == ENOMETHOD or errname in ("ENOMETHOD", "EPERM", "EACCES"):
        cls = MethodRefusedError
        errname = errname or "ENOMETHOD"
    elif code == JSONRPC_INVALID_PARAMS or etype == "VALIDATION" or errname == "EINVAL":
        cls = InvalidRequestError
    return cls, errname, number, reason
