# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TOTP model shared by host modules and controller plugins.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

What we offer is what pam_oath and TrueNAS 26 both accept (docs/linux-sshd.md, "What is offered"):
SHA1, 6 to 8 digits, a 30 or 60 second period. Validation and the base32/hex conversion need only
the standard library, so host modules can use them on any target; codes and otpauth URIs come from
pyotp, which is only needed where codes are made or checked (the controller).

No message raised here ever contains secret material: callers put these messages into task
results, and ansible-core prints failure messages even under no_log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time

from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError

with deps.declare("pyotp", reason="to compute and check one-time codes"):
    import pyotp

ALGORITHM = "SHA1"
DIGITS_CHOICES = (6, 7, 8)
PERIOD_CHOICES = (30, 60)
DEFAULT_DIGITS = 6
DEFAULT_PERIOD = 30
MIN_SECRET_BITS = 128
MAX_WINDOW = 10


def check_uri_label(account, issuer=None, account_option="account", issuer_option="issuer"):
    """Refuse an account name or issuer that an otpauth URI cannot carry (its label is issuer:account)."""
    if not account or not isinstance(account, str):
        raise TotpError("%s, the account name of an otpauth URI, must be a non-empty string" % account_option)
    for option, value in ((account_option, account), (issuer_option, issuer)):
        if value is not None and not isinstance(value, str):
            raise TotpError("%s must be a string, got %s" % (option, type(value).__name__))
        if value and (":" in value or any(ord(c) < 32 for c in value)):
            raise TotpError("%s must not contain ':' or control characters: the otpauth URI's label is "
                            "issuer:account" % option)


_BASE32_RE = re.compile(r"^[A-Z2-7]+\Z")  # \Z: $ would let a trailing newline through
_HEX_RE = re.compile(r"^[0-9a-fA-F]+\Z")
# Characters people put into secrets they copy from a screen: spaces every four, dashes.
_SEPARATORS_RE = re.compile(r"[\s-]+")


class TotpError(Fleet2faError, ValueError):
    """Bad TOTP parameters. The message names the option and the problem, never the value."""


def _check_int(value, option):
    if isinstance(value, bool):
        raise TotpError("%s must be an integer, not a boolean" % option)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TotpError("%s must be an integer" % option) from None


def validate_digits(value, option="digits"):
    digits = _check_int(value, option)
    if digits not in DIGITS_CHOICES:
        raise TotpError("%s must be 6, 7 or 8, got %d" % (option, digits))
    return digits


def validate_period(value, option="period"):
    period = _check_int(value, option)
    if period not in PERIOD_CHOICES:
        raise TotpError(
            "%s must be 30 or 60 seconds (pam_oath's users file knows only T30 and T60), got %d" % (option, period)
        )
    return period


def validate_window(value, option="window"):
    window = _check_int(value, option)
    if window < 0 or window > MAX_WINDOW:
        raise TotpError("%s must be between 0 and %d time steps, got %d" % (option, MAX_WINDOW, window))
    return window


def normalize_secret(value, option="secret"):
    """Canonical base32 of a secret: upper case, no separators, no padding; at least 128 bits."""
    if not isinstance(value, str):
        raise TotpError("%s must be a base32 string" % option)
    secret = _SEPARATORS_RE.sub("", value).upper().rstrip("=")
    if not secret:
        raise TotpError("%s is empty" % option)
    if not _BASE32_RE.match(secret):
        raise TotpError("%s is not base32: only the letters A-Z and the digits 2-7 are allowed" % option)
    try:
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    except (binascii.Error, ValueError):
        raise TotpError("%s is not base32: its length of %d characters cannot be decoded" % (option, len(secret))) from None
    if len(raw) * 8 < MIN_SECRET_BITS:
        raise TotpError(
            "%s is %d bits long; at least %d bits are required" % (option, len(raw) * 8, MIN_SECRET_BITS)
        )
    return secret


def secret_bytes(secret):
    secret = normalize_secret(secret)
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def secret_to_hex(secret):
    """Hex of a base32 secret, in upper case as TrueNAS writes it into users.oath."""
    return binascii.hexlify(secret_bytes(secret)).decode("ascii").upper()


def hex_to_secret(value, option="secret"):
    """Base32 (no padding) of a hex secret, as read from a users.oath line."""
    if not isinstance(value, str) or not value or not _HEX_RE.match(value) or len(value) % 2:
        raise TotpError("%s is not an even-length hex string" % option)
    return normalize_secret(base64.b32encode(binascii.unhexlify(value)).decode("ascii").rstrip("="), option)


def fingerprint(secret):
    """A short, one-way identifier of a secret, for results and diffs."""
    return "sha256:" + hashlib.sha256(secret_bytes(secret)).hexdigest()[:16]


def time_step(period, at=None):
    return int((time.time() if at is None else at) // period)


def seconds_to_next_step(period, at=None):
    now = time.time() if at is None else at
    return period - (now % period)


class TotpKey:
    """A validated TOTP key. repr() and str() never show the secret."""

    __slots__ = ("secret", "digits", "period")

    def __init__(self, secret, digits=DEFAULT_DIGITS, period=DEFAULT_PERIOD):
        self.secret = normalize_secret(secret)
        self.digits = validate_digits(digits)
        self.period = validate_period(period)

    def __repr__(self):
        return "TotpKey(%s, digits=%d, period=%d)" % (self.fingerprint, self.digits, self.period)

    __str__ = __repr__

    def __eq__(self, other):
        if not isinstance(other, TotpKey):
            return NotImplemented
        return (self.secret, self.digits, self.period) == (other.secret, other.digits, other.period)

    def __hash__(self):
        return hash((self.secret, self.digits, self.period))

    @property
    def hex(self):
        return secret_to_hex(self.secret)

    @property
    def fingerprint(self):
        return fingerprint(self.secret)

    @property
    def users_oath_type(self):
        """The token type column of a pam_oath users file for this key."""
        return "HOTP/T%d/%d" % (self.period, self.digits)

    @classmethod
    def generate(cls, digits=DEFAULT_DIGITS, period=DEFAULT_PERIOD):
        """A fresh 160-bit secret from pyotp (the way TrueNAS makes its own)."""
        deps.require("pyotp")
        return cls(pyotp.random_base32(), digits, period)

    def _totp(self):
        deps.require("pyotp")
        return pyotp.TOTP(self.secret, digits=self.digits, interval=self.period)

    def code_at(self, at):
        return self._totp().at(at)

    def now(self):
        return self._totp().now()

    def verify(self, code, window=1, at=None):
        """True if ``code`` matches a time step within ``window`` steps of ``at`` (default: now)."""
        window = validate_window(window)
        if not isinstance(code, str) or not code.isdigit() or len(code) != self.digits:
            return False
        return self._totp().verify(code, for_time=time.time() if at is None else at, valid_window=window)

    def matching_step(self, code, window=1, at=None):
        """The time step that ``code`` belongs to within the window, or None: lets callers refuse replays."""
        window = validate_window(window)
        now = time.time() if at is None else at
        if not isinstance(code, str) or not code.isdigit() or len(code) != self.digits:
            return None
        for offset in range(-window, window + 1):
            candidate = now + offset * self.period
            if self.code_at(candidate) == code:
                return time_step(self.period, candidate)
        return None

    def uri(self, account, issuer=None):
        """The otpauth://totp URI that authenticator apps scan."""
        check_uri_label(account, issuer)
        uri = self._totp().provisioning_uri(name=account, issuer_name=issuer)
        # pyotp leaves digits and period out when they are the defaults; some apps then guess.
        # Stating them always makes the QR self-describing.
        if "&digits=" not in uri and "?digits=" not in uri:
            uri += "&digits=%d" % self.digits
        if "&period=" not in uri and "?period=" not in uri:
            uri += "&period=%d" % self.period
        return uri

    @classmethod
    def from_uri(cls, uri, option="uri"):
        """Parse an otpauth://totp URI; returns (key, account, issuer)."""
        deps.require("pyotp")
        if not isinstance(uri, str) or not uri.startswith("otpauth://totp/"):
            raise TotpError("%s is not an otpauth://totp/ URI" % option)
        try:
            parsed = pyotp.parse_uri(uri)
        except ValueError:
            raise TotpError("%s could not be parsed as an otpauth URI" % option) from None
        algorithm = getattr(parsed.digest(), "name", "sha1").upper()
        if algorithm != ALGORITHM:
            raise TotpError("%s uses %s; only SHA1 is supported" % (option, algorithm))
        key = cls(parsed.secret, parsed.digits, getattr(parsed, "interval", DEFAULT_PERIOD))
        return key, parsed.name, parsed.issuer
