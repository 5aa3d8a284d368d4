# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/enroll.yml without the codes it needs: it fails before anything changes and says which
variable to set and which hosts and users lack codes. The hosts are local-connection stand-ins: the
check runs on the controller before any host is asked anything."""

from __future__ import annotations

import os

import pytest

from controller_plays import PLAYBOOKS, Controller, hashes

ENROLL = os.path.join(PLAYBOOKS, "enroll.yml")


@pytest.fixture
def controller(tmp_path):
    made = Controller(str(tmp_path), {"linux": {"lin01": {"fleet2fa_users": ["root", "admin"]}, "lin02": {}},
                                      "truenas": {"tn2410-1": {}}})
    for host, users in (("lin01", ("root", "admin")), ("lin02", ("root",)), ("tn2410-1", ("root",))):
        for user in users:
            made.escrow(host, user)
    made.enroll = lambda *extra: made.play(ENROLL, *extra)
    made.codes_file = lambda codes: "@" + made.write("codes.yml", {"fleet2fa_enroll_codes": codes})
    made.escrow_hashes = lambda: hashes(made.escrow_dir)
    return made


def test_enroll_without_codes_fails_naming_the_variable_and_every_host_and_user(controller):
    before = controller.escrow_hashes()
    rc, out = controller.enroll()
    assert rc != 0, out
    assert "Set fleet2fa_enroll_codes" in out and "fleet2fa_enroll_prompt=true" in out, out
    assert "lin01 (root, admin); lin02 (root); tn2410-1 (root)" in out, out
    assert "Nothing was changed" in out
    # The check stops the run for every host before the enrollment step runs anywhere.
    assert "record the admins' devices" not in out
    assert controller.escrow_hashes() == before


def test_enroll_with_some_codes_names_only_the_users_still_lacking(controller):
    before = controller.escrow_hashes()
    rc, out = controller.enroll("-e", controller.codes_file({
        "lin01": {"root": {"primary": "123456"}, "admin": {"primary": ""}}, "tn2410-1": {"root": {"primary": "654321"}}}))
    assert rc != 0, out
    assert "enroll.yml has no code for lin01 (admin); lin02 (root)." in out, out
    assert "123456" not in out and "654321" not in out
    assert controller.escrow_hashes() == before


def test_enroll_with_limit_checks_only_the_hosts_of_the_run(controller):
    rc, out = controller.enroll("--limit", "lin02")
    assert rc != 0
    assert "has no code for lin02 (root)." in out, out


def test_enroll_with_every_code_goes_on_to_the_enrollment_step(controller):
    codes = {"lin01": {"root": {"primary": "111111"}, "admin": {"primary": "222222"}},
             "lin02": {"root": {"primary": "333333"}}, "tn2410-1": {"root": {"primary": "444444"}}}
    # The role still wants a root password to load (the rollout's part of issue 10 drops that need).
    rc, out = controller.enroll("-e", controller.codes_file(codes), "-e", "fleet2fa_vault_root_password=unused")
    assert "has no code" not in out
    assert "record the admins' devices" in out, out
    for code in ("111111", "222222", "333333", "444444"):
        assert code not in out


def test_enroll_prompt_without_a_terminal_fails_naming_the_host_and_users(controller):
    before = controller.escrow_hashes()
    rc, out = controller.enroll("-e", "fleet2fa_enroll_prompt=true", "--limit", "lin01")
    assert rc != 0, out
    assert "no code was typed on lin01 for root, admin" in out, out
    assert controller.escrow_hashes() == before
