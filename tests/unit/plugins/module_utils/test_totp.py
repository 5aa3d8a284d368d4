# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time

import pyotp
import pytest
import yaml

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpError, TotpKey

with open(os.path.join(os.path.dirname(__file__), "totp_cases.yml")) as cases_file:
    CASES = yaml.safe_load(cases_file)

RFC_SEED = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize("case", CASES["bad_secrets"], ids=lambda c: repr(c["value"])[:24])
def test_bad_secret_is_refused_with_a_message_that_names_the_option_not_the_value(case):
    if case["error"] is None:
        assert totp.normalize_secret(case["value"], option="users[0].secret")
        return
    with pytest.raises(TotpError) as caught:
        totp.normalize_secret(case["value"], option="users[0].secret")
    message = str(caught.value)
    assert message.startswith("users[0].secret ")
    assert case["error"] in message
    if isinstance(case["value"], str) and len(case["value"]) > 4:
        assert case["value"] not in message
        assert case["value"].upper().replace(" ", "") not in message


@pytest.mark.parametrize("case", CASES["good_secrets"], ids=lambda c: c["canonical"][:8])
def test_secret_is_normalized_to_upper_case_unpadded_base32(case):
    assert totp.normalize_secret(case["value"]) == case["canonical"]


@pytest.mark.parametrize("value", CASES["bad_digits"])
def test_digits_outside_six_to_eight_are_refused(value):
    with pytest.raises(TotpError, match="^digits must"):
        totp.validate_digits(value)


@pytest.mark.parametrize("value", CASES["good_digits"])
def test_digits_six_to_eight_are_accepted(value):
    assert totp.validate_digits(value) == int(value)


@pytest.mark.parametrize("value", CASES["bad_periods"])
def test_periods_other_than_30_or_60_are_refused(value):
    with pytest.raises(TotpError, match="^period must"):
        totp.validate_period(value)


@pytest.mark.parametrize("value", CASES["good_periods"])
def test_periods_30_and_60_are_accepted(value):
    assert totp.validate_period(value) == int(value)


@pytest.mark.parametrize("value", CASES["bad_windows"])
def test_windows_outside_zero_to_ten_are_refused(value):
    with pytest.raises(TotpError, match="^window must"):
        totp.validate_window(value)


@pytest.mark.parametrize("value", CASES["good_windows"])
def test_windows_zero_to_ten_are_accepted(value):
    assert totp.validate_window(value) == value


@pytest.mark.parametrize("case", CASES["rfc6238_sha1"], ids=lambda c: str(c["time"]))
def test_rfc6238_sha1_vectors(case):
    key = TotpKey(RFC_SEED, digits=8, period=30)
    assert key.code_at(case["time"]) == case["code"]
    assert key.verify(case["code"], window=0, at=case["time"])


def test_hex_and_base32_round_trip_like_truenas_users_oath():
    key = TotpKey.generate()
    # TrueNAS writes base64.b16encode(base64.b32decode(secret)) (research/truenas-2fa.md 3.1).
    assert key.hex == base64.b16encode(base64.b32decode(key.secret)).decode()
    assert totp.hex_to_secret(key.hex) == key.secret
    assert totp.hex_to_secret(key.hex.lower()) == key.secret


@pytest.mark.parametrize("value", ["", "abc", "zz" * 20, "0a" * 8])
def test_bad_hex_is_refused(value):
    with pytest.raises(TotpError):
        totp.hex_to_secret(value)


@pytest.mark.skipif(shutil.which("oathtool") is None, reason="oathtool is installed by make test")
@pytest.mark.parametrize("digits,period", [(6, 30), (7, 30), (8, 60), (6, 60)])
def test_code_equals_oathtool_for_a_random_secret(digits, period):
    key = TotpKey.generate(digits=digits, period=period)
    now = int(time.time())
    # Stay clear of a step boundary so both sides see the same step.
    if period - now % period < 2:
        time.sleep(2)
        now = int(time.time())
    out = subprocess.run(
        ["oathtool", "--totp", "-d", str(digits), "-s", "%ds" % period, "-N", "@%d" % now, key.hex],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    assert out == key.code_at(now)


def test_verify_accepts_neighbouring_steps_within_the_window_only():
    key = TotpKey.generate()
    at = 1_800_000_000
    previous = key.code_at(at - 30)
    assert key.verify(previous, window=1, at=at)
    assert not key.verify(previous, window=0, at=at)
    assert not key.verify(key.code_at(at - 90), window=2, at=at) or key.code_at(at - 90) in {
        key.code_at(at + d * 30) for d in (-2, -1, 0, 1, 2)
    }


def test_verify_refuses_malformed_codes_without_raising():
    key = TotpKey.generate()
    for code in ("", "12345", "1234567", "abcdef", None, 123456):
        assert key.verify(code) is False


def test_matching_step_tells_which_step_a_code_belongs_to():
    key = TotpKey.generate()
    at = 1_800_000_000
    assert key.matching_step(key.code_at(at - 30), window=1, at=at) == totp.time_step(30, at - 30)
    assert key.matching_step(key.code_at(at - 300), window=1, at=at) in (None, totp.time_step(30, at))


def test_uri_round_trip_keeps_secret_digits_and_period():
    key = TotpKey.generate(digits=8, period=60)
    uri = key.uri("root@nas01", issuer="NAS fleet")
    parsed, account, issuer = TotpKey.from_uri(uri)
    assert parsed == key
    assert (account, issuer) == ("root@nas01", "NAS fleet")
    assert pyotp.parse_uri(uri).secret == key.secret
    assert "digits=8" in uri and "period=60" in uri


def test_uri_states_default_digits_and_period_explicitly():
    uri = TotpKey.generate().uri("root@nas01", issuer="NAS fleet")
    assert "digits=6" in uri and "period=30" in uri


@pytest.mark.parametrize(
    "uri,error",
    [
        ("otpauth://hotp/x?secret=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567&counter=1", "not an otpauth://totp/ URI"),
        ("https://example.invalid/", "not an otpauth://totp/ URI"),
        ("otpauth://totp/x?secret=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567&algorithm=SHA256", "only SHA1"),
        ("otpauth://totp/x?secret=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567&period=45", "period must be 30 or 60"),
    ],
)
def test_unsupported_uris_are_refused(uri, error):
    with pytest.raises(TotpError, match=error):
        TotpKey.from_uri(uri)


def test_repr_and_str_never_show_the_secret():
    key = TotpKey.generate()
    for text in (repr(key), str(key), "%s" % key):
        assert key.secret not in text
        assert key.hex not in text
        assert key.fingerprint in text


def test_fingerprint_is_stable_and_differs_between_secrets():
    a, b = TotpKey.generate(), TotpKey.generate()
    assert a.fingerprint == TotpKey(a.secret).fingerprint
    assert a.fingerprint != b.fingerprint
    assert a.users_oath_type == "HOTP/T30/6"
