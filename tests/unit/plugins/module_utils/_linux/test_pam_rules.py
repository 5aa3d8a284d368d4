# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""preflight accepts exactly the sshd PAM stacks that sshd_otp can put its line into (one set of rules)."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout, pam_stack
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.preflight import pam_problems

with open(os.path.join(os.path.dirname(__file__), "sshd_otp_cases.yml")) as cases_file:
    CASES = yaml.safe_load(cases_file)
OATH = "auth required pam_oath.so usersfile=/etc/users.oath window=3 digits=6"
STACKS = [case["before"] for case in CASES["pam"]] + CASES["pam_no_step"] + [
    # SUSE reads the password through an include of common-auth.
    "#%PAM-1.0\nauth     requisite      pam_nologin.so\nauth     include        common-auth\naccount  include        common-account\n",
    # pam_unix.so in the sshd stack itself: no step the distributions ship, and sshd_otp will not guess.
    "auth required pam_unix.so nullok\naccount required pam_unix.so\n",
]


def _sshd_otp_takes(text):
    try:
        pam_stack.SshdPamStack(text).ensure(OATH)
        return True
    except pam_stack.PamStackError:
        return False


@pytest.mark.parametrize("text", STACKS)
def test_preflight_accepts_exactly_the_pam_stacks_sshd_otp_can_edit(text):
    assert (pam_problems("/etc/pam.d/sshd", text) == []) is _sshd_otp_takes(text)


def test_a_refused_stack_is_named_with_the_steps_the_table_knows():
    (problem,) = pam_problems("/etc/pam.d/sshd", "auth required pam_unix.so\n")
    assert problem.startswith("/etc/pam.d/sshd has no password step for pam_oath to follow")
    for row in layout.LAYOUTS:
        if row.password_step_shape:
            assert row.password_step_shape in problem
