# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pam_faillock around the code step: where its lines go, that they come out again, and their bounds."""
from __future__ import annotations

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import pam_stack

OATH = pam_stack.oath_line("/etc/users.oath", 3, 6, control="requisite")
DEBIAN = ("# PAM configuration for the Secure Shell service\n@include common-auth\naccount    required     pam_nologin.so\n"
          "@include common-account\nsession    required     pam_loginuid.so\n")
FOREIGN = "auth required pam_faillock.so preauth deny=5\n"


def test_rate_limit_lines_guard_the_code_step_and_clear_only_after_password_and_code():
    stack = pam_stack.SshdPamStack(DEBIAN)
    stack.ensure(OATH)
    preauth, authfail, authsucc = pam_stack.faillock_lines(4, 30)
    assert stack.ensure_rate_limit((preauth, authfail, authsucc)) is True
    lines = stack.text().splitlines()
    assert lines[1:6] == [preauth, authfail, "@include common-auth", OATH, authsucc]
    assert lines[6].startswith("account    required     pam_nologin.so")
    assert "deny=4 unlock_time=30 fail_interval=30 even_deny_root root_unlock_time=30" in preauth
    # requisite: a failed code ends the stack before authsucc could clear the count
    assert preauth.split()[1] == OATH.split()[1] == "requisite" and authsucc.split()[1] == "optional"


def test_rate_limit_is_idempotent_follows_new_settings_and_comes_out_with_the_oath_line():
    stack = pam_stack.SshdPamStack(FOREIGN + DEBIAN)
    stack.ensure(OATH)
    assert stack.ensure_rate_limit(pam_stack.faillock_lines()) is True
    assert stack.ensure_rate_limit(pam_stack.faillock_lines()) is False
    assert stack.ensure_rate_limit(pam_stack.faillock_lines(3, 10)) is True
    assert stack.text().count("pam_faillock.so") == 4  # the admin's own line and our three
    assert stack.remove() is True
    assert stack.text() == FOREIGN + DEBIAN


@pytest.mark.parametrize("deny,unlock_time,message", [
    (0, 600, "deny must be a whole number from 1 to 100"), (101, 600, "deny must be"), (True, 600, "deny must be"),
    (10, 0, "unlock_time must be"), (10, "600", "unlock_time must be"),
])
def test_rate_limit_bounds_are_refused_by_name(deny, unlock_time, message):
    with pytest.raises(pam_stack.PamStackError, match=message):
        pam_stack.faillock_lines(deny, unlock_time)


def test_rate_limit_without_a_password_step_is_refused():
    with pytest.raises(pam_stack.PamStackError, match="pam_faillock lines"):
        pam_stack.SshdPamStack("account required pam_unix.so\n").ensure_rate_limit(pam_stack.faillock_lines())


def _request(**extra):
    from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_request import SshdOtpRequest
    params = dict(state="present", users=[{"name": "root", "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}],
                  automation_user="root")
    params.update(extra)
    return SshdOtpRequest(params, user_exists=lambda name: True)


def test_the_request_takes_the_rate_limit_options_and_deny_0_turns_it_off():
    assert _request().rate_limit == {"deny": pam_stack.DEFAULT_DENY, "unlock_time": pam_stack.DEFAULT_UNLOCK_TIME}
    assert _request(rate_limit_deny=3, rate_limit_unlock_time=12).rate_limit == {"deny": 3, "unlock_time": 12}
    assert _request(rate_limit_deny=0).rate_limit is None


@pytest.mark.parametrize("extra,message", [
    ({"rate_limit_deny": 101}, "rate_limit_deny must be a whole number from 0"),
    ({"rate_limit_deny": -1}, "rate_limit_deny must be"),
    ({"rate_limit_unlock_time": 0}, "rate_limit_unlock_time must be"),
])
def test_the_request_refuses_rate_limit_options_by_name(extra, message):
    from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_request import RequestError
    with pytest.raises(RequestError, match=message):
        _request(**extra)
