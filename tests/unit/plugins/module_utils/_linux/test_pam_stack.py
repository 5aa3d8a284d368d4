# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd PAM stack, table-driven from sshd_otp_cases.yml."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout, pam_stack

with open(os.path.join(os.path.dirname(__file__), "sshd_otp_cases.yml")) as cases_file:
    CASES = yaml.safe_load(cases_file)
OATH = "auth required pam_oath.so usersfile=/etc/users.oath window=3 digits=6"


@pytest.mark.parametrize("case", CASES["pam"], ids=lambda c: c["id"])
def test_pam_line_goes_right_after_the_password_step_and_comes_out_again(case):
    stack = pam_stack.SshdPamStack(case["before"])
    assert stack.ensure(OATH) is True
    assert stack.text() == case["after"]
    assert stack.ensure(OATH) is False
    assert stack.remove() is True
    if not case.get("not_reversible"):
        assert stack.text() == case["before"]


@pytest.mark.parametrize("case", CASES["pam_replace"], ids=lambda c: c["id"])
def test_pam_line_is_compared_with_its_arguments(case):
    stack = pam_stack.SshdPamStack(case["before"])
    assert stack.ensure(OATH) is (case["after"] is not None)
    assert stack.text() == (case["after"] or case["before"])
    assert len(stack.oath_lines()) == 1


@pytest.mark.parametrize("text", CASES["pam_no_step"])
def test_pam_file_without_a_password_step_is_refused(text):
    with pytest.raises(pam_stack.PamStackError, match="common-auth"):
        pam_stack.SshdPamStack(text).ensure(OATH)


def test_missing_pam_module_is_not_found(tmp_path):
    (tmp_path / "x86_64-linux-gnu" / "security").mkdir(parents=True)
    (tmp_path / "x86_64-linux-gnu" / "security" / "pam_oath.so").write_text("")
    dirs = (str(tmp_path / "*" / "security"),)
    assert layout.find_pam_module("pam_oath.so", dirs).endswith("/x86_64-linux-gnu/security/pam_oath.so")
    assert layout.find_pam_module("pam_oath_missing.so", dirs) is None
    assert layout.find_pam_module(str(tmp_path / "nope.so")) is None
