# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A one-time pad between an action plugin and its module.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

A module that must hand a secret back to its action plugin (truenas_user_2fa: the provisioning URI a
box made) returns it sealed, under ``SEALED_KEY``. The ssh connection plugin prints a module's raw
output at -vvvv, whatever no_log says, so the action makes a pad for that one call, sends it as a
no_log argument, and opens what comes back::

    pad = new_pad()                                   # action, before the call
    result[SEALED_KEY] = seal(uri, pad)               # module
    uri = unseal(result.pop(SEALED_KEY), pad)         # action, after the call
"""

from __future__ import annotations

import binascii
import os

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError

# The result key that carries the sealed value from the module to the action plugin.
SEALED_KEY = "_fleet2fa_sealed_uri"
# Bytes of a pad: an otpauth URI is about 150 bytes.
PAD_BYTES = 1024


class SealError(Fleet2faError, ValueError):
    """The pad cannot seal the value; the message never holds the value."""


def new_pad():
    """A fresh pad, in hex, for one call."""
    return binascii.hexlify(os.urandom(PAD_BYTES)).decode("ascii")


def seal(text, pad_hex):
    """``text`` XORed with the pad, in hex."""
    try:
        pad = binascii.unhexlify(pad_hex or "")
    except (TypeError, ValueError, binascii.Error):
        raise SealError("the transfer pad is not hex") from None
    data = text.encode("utf-8")
    if len(data) > len(pad):
        raise SealError("the value is longer than the transfer pad (%d > %d bytes)" % (len(data), len(pad)))
    return binascii.hexlify(bytes(a ^ b for a, b in zip(data, pad))).decode("ascii")


def unseal(sealed_hex, pad_hex):
    """The inverse of ``seal``."""
    sealed = binascii.unhexlify(sealed_hex)
    pad = binascii.unhexlify(pad_hex)
    return bytes(a ^ b for a, b in zip(sealed, pad)).decode("utf-8")
