# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Google Authenticator transfer codes, ``otpauth-migration://offline?data=<base64 MigrationPayload>``.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The payload is a protocol buffers message with a handful of fields, so it is written here with the
wire format directly (varints and length-delimited fields) instead of pulling in the ``protobuf``
package and a generated class for a message of about 60 bytes an account::

    message MigrationPayload {
      repeated OtpParameters otp_parameters = 1;
      int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
    }
    message OtpParameters {
      bytes secret = 1; string name = 2; string issuer = 3;
      Algorithm algorithm = 4;   // 1 = SHA1
      DigitCount digits = 5;     // 1 = SIX, 2 = EIGHT
      OtpType type = 6;          // 2 = TOTP
    }

The format has no period field (apps assume 30 s) and knows only 6 and 8 digits, so ``unsupported``
names the keys a transfer code would get wrong; those go to the admin as single QR codes instead.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError

SCHEME = "otpauth-migration://offline?data="
MAX_BATCH = 10
VERSION = 1
ALGORITHM_SHA1 = 1
DIGITS = {6: 1, 8: 2}
TYPE_TOTP = 2

_VARINT = 0
_LENGTH_DELIMITED = 2


class MigrationError(Fleet2faError, ValueError):
    """A key that the transfer format cannot carry; the message never contains the secret."""


def _varint(value):
    if value < 0:
        value += 1 << 64  # negative int32/int64 are sent as ten-byte two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number, wire_type, payload):
    head = _varint((number << 3) | wire_type)
    if wire_type == _VARINT:
        return head + _varint(payload)
    return head + _varint(len(payload)) + payload


def unsupported(digits, period):
    """Why a key cannot travel in a transfer code, or None when it can."""
    if period != 30:
        return "its period is %d s and transfer codes carry no period (apps assume 30 s)" % period
    if digits not in DIGITS:
        return "it has %d digits and transfer codes know only 6 and 8" % digits
    return None


class Account:
    """One account of a transfer code. ``secret`` is the raw key bytes."""

    __slots__ = ("secret", "name", "issuer", "digits", "period")

    def __init__(self, secret, name, issuer, digits=6, period=30):
        self.secret = bytes(secret)
        self.name = name
        self.issuer = issuer or ""
        self.digits = digits
        self.period = period

    def __repr__(self):
        return "Account(%s, %s)" % (self.issuer, self.name)

    def encode(self):
        why = unsupported(self.digits, self.period)
        if why:
            raise MigrationError("%s (%s) cannot be put into a transfer code: %s" % (self.name, self.issuer, why))
        return b"".join((
            _field(1, _LENGTH_DELIMITED, self.secret),
            _field(2, _LENGTH_DELIMITED, self.name.encode("utf-8")),
            _field(3, _LENGTH_DELIMITED, self.issuer.encode("utf-8")),
            _field(4, _VARINT, ALGORITHM_SHA1),
            _field(5, _VARINT, DIGITS[self.digits]),
            _field(6, _VARINT, TYPE_TOTP),
        ))


def batch_id(labels):
    """A stable id for one pack: the same accounts give the same id, so files are rewritten only on change.

    ``labels`` are public strings (names and fingerprints); Google's app uses the id to tell the
    codes of one export apart from another's.
    """
    digest = hashlib.sha256("\n".join(labels).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def payload(accounts, batch_size, batch_index, pack_id):
    if not accounts or len(accounts) > MAX_BATCH:
        raise MigrationError("a transfer code holds 1 to %d accounts, not %d" % (MAX_BATCH, len(accounts)))
    if not 0 <= batch_index < batch_size:
        raise MigrationError("batch index %d is outside a batch of %d" % (batch_index, batch_size))
    parts = [_field(1, _LENGTH_DELIMITED, account.encode()) for account in accounts]
    parts += [
        _field(2, _VARINT, VERSION),
        _field(3, _VARINT, batch_size),
        _field(4, _VARINT, batch_index),
        _field(5, _VARINT, pack_id),
    ]
    return b"".join(parts)


def uri(accounts, batch_size=1, batch_index=0, pack_id=0):
    """The ``otpauth-migration://`` URI of one transfer code (secrets inside: never show it)."""
    data = base64.b64encode(payload(accounts, batch_size, batch_index, pack_id)).decode("ascii")
    return SCHEME + urllib.parse.quote(data, safe="")


def batches(items, size=MAX_BATCH):
    """``items`` cut into lists of at most ``size`` (1 to 10)."""
    if not 1 <= size <= MAX_BATCH:
        raise MigrationError("batch size must be 1 to %d, got %d" % (MAX_BATCH, size))
    return [items[i:i + size] for i in range(0, len(items), size)]
