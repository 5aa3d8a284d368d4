# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os

import pytest

from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _migration as migration
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._migration import Account, MigrationError

from migration_decoder import decode_uri, fields


def accounts(count, digits=6):
    return [Account(os.urandom(20), "root@nas%02d" % i, "fleet2fa", digits=digits) for i in range(count)]


@pytest.mark.parametrize("count", [1, 2, 10])
def test_round_trip_gives_back_every_secret_name_and_issuer_in_order(count):
    sent = accounts(count)
    got = decode_uri(migration.uri(sent, batch_size=3, batch_index=1, pack_id=123456))
    assert [(a["secret"], a["name"], a["issuer"]) for a in got["otp_parameters"]] == [
        (a.secret, a.name, a.issuer) for a in sent
    ]
    assert all((a["algorithm"], a["digits"], a["type"]) == (1, 1, 2) for a in got["otp_parameters"])
    assert (got["version"], got["batch_size"], got["batch_index"], got["batch_id"]) == (1, 3, 1, 123456)


def test_eight_digits_travel_as_digit_count_eight():
    got = decode_uri(migration.uri(accounts(1, digits=8)))
    assert got["otp_parameters"][0]["digits"] == 2


def test_non_ascii_names_are_utf8_and_the_data_is_url_quoted():
    account = Account(b"\xff" * 20, "jürgen@nas-ü", "Büro NAS")
    text = migration.uri([account])
    assert "+" not in text.split("data=")[1] and "/" not in text.split("data=")[1]
    got = decode_uri(text)["otp_parameters"][0]
    assert (got["name"], got["issuer"], got["secret"]) == ("jürgen@nas-ü", "Büro NAS", b"\xff" * 20)


@pytest.mark.parametrize("value, encoded", [
    (0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
    (2 ** 31 - 1, b"\xff\xff\xff\xff\x07"),
])
def test_varints_follow_the_wire_format(value, encoded):
    # field 5 (batch_id), wire type 0: key byte 0x28
    assert migration._field(5, 0, value) == b"\x28" + encoded
    assert fields(b"\x28" + encoded) == [(5, 0, value)]


@pytest.mark.parametrize("digits, period, why", [
    (7, 30, "7 digits"),
    (6, 60, "period is 60 s"),
    (8, 60, "period is 60 s"),
])
def test_keys_the_format_cannot_carry_are_refused_without_the_secret(digits, period, why):
    account = Account(b"S3CRETBYTES-S3CRETBY", "root@nas1", "fleet2fa", digits=digits, period=period)
    assert why in migration.unsupported(digits, period)
    with pytest.raises(MigrationError, match=why) as failure:
        migration.uri([account])
    assert "S3CRET" not in str(failure.value)


def test_a_batch_holds_one_to_ten_accounts():
    with pytest.raises(MigrationError, match="1 to 10"):
        migration.uri(accounts(11))
    with pytest.raises(MigrationError, match="1 to 10"):
        migration.uri([])
    assert [len(b) for b in migration.batches(list(range(23)))] == [10, 10, 3]
    assert [len(b) for b in migration.batches(list(range(7)), size=3)] == [3, 3, 1]
    with pytest.raises(MigrationError):
        migration.batches([1], size=11)


def test_the_same_accounts_give_the_same_bytes_and_batch_id():
    sent = accounts(3)
    labels = [a.name for a in sent]
    assert migration.batch_id(labels) == migration.batch_id(list(labels))
    assert migration.batch_id(labels) != migration.batch_id(labels[:2])
    assert 0 <= migration.batch_id(labels) < 2 ** 31
    assert migration.uri(sent, 1, 0, 7) == migration.uri(sent, 1, 0, 7)


def test_repr_of_an_account_shows_no_secret():
    account = Account(b"S3CRETBYTES-S3CRETBY", "root@nas1", "fleet2fa")
    assert "S3CRET" not in repr(account)
