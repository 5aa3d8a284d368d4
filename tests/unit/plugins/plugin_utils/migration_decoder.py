# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An independent reader of Google Authenticator transfer URIs, written from the protobuf wire format
spec (https://protobuf.dev/programming-guides/encoding/), for the tests: it shares no code with
plugin_utils/migration.py and checks wire types, lengths and that nothing is left over."""

from __future__ import annotations

import base64
import urllib.parse

PREFIX = "otpauth-migration://offline?"


def read_varint(data, pos):
    shift = value = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos
        assert shift < 70, "varint too long"


def fields(data):
    """[(field number, wire type, value)]; value is int for varints, bytes for length-delimited."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 2:
            length, pos = read_varint(data, pos)
            value = bytes(data[pos:pos + length])
            assert len(value) == length, "truncated field %d" % number
            pos += length
        else:
            raise AssertionError("unexpected wire type %d in field %d" % (wire, number))
        out.append((number, wire, value))
    assert pos == len(data)
    return out


def decode_uri(uri):
    assert uri.startswith(PREFIX), uri[:30]
    query = urllib.parse.parse_qs(uri[len(PREFIX):], strict_parsing=True)
    raw = base64.b64decode(query["data"][0], validate=True)
    payload = {"otp_parameters": []}
    for number, wire, value in fields(raw):
        if number == 1:
            assert wire == 2
            account = {}
            for n, w, v in fields(value):
                name = {1: "secret", 2: "name", 3: "issuer", 4: "algorithm", 5: "digits", 6: "type", 7: "counter"}[n]
                assert w == (2 if n in (1, 2, 3) else 0), "field %s has wire type %d" % (name, w)
                account[name] = v.decode("utf-8") if n in (2, 3) else v
            payload["otp_parameters"].append(account)
        else:
            assert wire == 0
            payload[{2: "version", 3: "batch_size", 4: "batch_index", 5: "batch_id"}[number]] = value
    return payload
