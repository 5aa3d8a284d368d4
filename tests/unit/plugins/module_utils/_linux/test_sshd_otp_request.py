# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input is refused with the option named and never a secret (cases in sshd_otp_cases.yml)."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_request import RequestError, SshdOtpRequest
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpError

with open(os.path.join(os.path.dirname(__file__), "sshd_otp_cases.yml")) as cases_file:
    CASES = yaml.safe_load(cases_file)
SECRETS = CASES["secrets"]
KNOWN_USERS = {"root", "alice", "ansible"}


def _params(case):
    params = {"state": "present", "users": [{"name": "root", "secret": SECRETS["root"]}], "automation_user": "root"}
    params.update({k: v for k, v in case.items() if k not in ("id", "error")})
    for user in params.get("users") or []:
        if user.get("secret") in SECRETS:
            user["secret"] = SECRETS[user["secret"]]
    return params


@pytest.mark.parametrize("case", CASES["bad_requests"], ids=lambda c: c["id"])
def test_bad_input_is_refused_naming_the_option_and_never_the_secret(case):
    params = _params(case)
    with pytest.raises((RequestError, TotpError)) as caught:
        SshdOtpRequest(params, user_exists=lambda name: name in KNOWN_USERS)
    message = str(caught.value)
    assert case["error"] in message
    for user in params.get("users") or []:
        secret = user.get("secret")
        if secret and len(secret) > 4:
            assert secret not in message
            assert secret.upper() not in message


def test_good_request_is_normalized():
    request = SshdOtpRequest(
        {"users": [{"name": "alice", "secret": SECRETS["alice"].lower()}], "automation_user": "ansible", "window": 0},
        user_exists=lambda name: name in KNOWN_USERS,
    )
    assert request.users == ["alice"]
    assert request.keys["alice"].secret == SECRETS["alice"]
    assert request.dropin_dir == "/etc/ssh/sshd_config.d"
    assert request.window == 0


def test_absent_needs_no_secret_and_no_users():
    request = SshdOtpRequest({"state": "absent", "users": [{"name": "root"}], "automation_user": "root"},
                             user_exists=lambda name: True)
    assert request.keys == {}
    assert SshdOtpRequest({"state": "absent", "automation_user": "root"}, user_exists=lambda name: True).users == []


def test_permit_root_login_may_be_set_when_root_is_no_otp_user():
    request = SshdOtpRequest({"users": [{"name": "alice", "secret": SECRETS["alice"]}], "automation_user": "ansible",
                              "sshd_options": {"PermitRootLogin": "prohibit-password", "MaxAuthTries": 4}},
                             user_exists=lambda name: name in KNOWN_USERS)
    assert request.sshd_options == {"PermitRootLogin": "prohibit-password", "MaxAuthTries": "4"}
