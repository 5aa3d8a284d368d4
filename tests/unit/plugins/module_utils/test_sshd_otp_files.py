# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The users file, the PAM stack and the sshd drop-in, table-driven from sshd_otp_cases.yml."""
from __future__ import annotations

import os
import stat
import threading
import time

import pytest
import yaml

from ansible_collections.fleet2fa.nas.plugins.module_utils import oath_users, pam_stack, sshd_config
from ansible_collections.fleet2fa.nas.plugins.module_utils.oath_users import OathUsersFile, OathUsersError
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey

with open(os.path.join(os.path.dirname(__file__), "sshd_otp_cases.yml")) as cases_file:
    CASES = yaml.safe_load(cases_file)
ROOT_KEY = TotpKey(CASES["secrets"]["root"])
OATH = "auth required pam_oath.so usersfile=/etc/users.oath window=3 digits=6"


def test_test_secret_hex_is_what_users_oath_holds():
    assert ROOT_KEY.hex == CASES["secrets"]["root_hex"]


@pytest.mark.parametrize("case", CASES["oath_set"], ids=lambda c: c["id"])
def test_users_oath_set_compares_type_user_and_secret_only(case):
    users = OathUsersFile(case["before"])
    assert users.set(case["user"], ROOT_KEY) == case["result"]
    assert users.text() == (case["before"] if case["result"] is None else case["after"])


def test_removing_the_only_user_then_adding_gives_a_clean_line_and_remove_keeps_others():
    users = OathUsersFile("# keep\nHOTP/T30/6 bob - 0A0B\nHOTP/T30/6\troot\t-\tAB 0 1 2026-01-01T00:00:00L\n")
    assert users.remove("root") is True
    assert users.text() == "# keep\nHOTP/T30/6 bob - 0A0B\n"
    assert users.remove("root") is False


def test_summary_shows_user_type_and_fingerprint_never_the_secret():
    users = OathUsersFile("")
    users.set("root", ROOT_KEY)
    summary = users.summary()
    assert summary == "root HOTP/T30/6 %s\n" % ROOT_KEY.fingerprint
    assert ROOT_KEY.hex not in summary and ROOT_KEY.secret not in summary
    assert ROOT_KEY.hex not in repr(users.entry("root"))


def test_last_used_reads_pam_oaths_local_time_field():
    entry = oath_users.parse_line("HOTP/T30/6\troot\t-\tAB\t0\t806756\t2026-11-28T17:13:14L")
    assert entry.last_used == int(time.mktime(time.strptime("2026-11-28T17:13:14", "%Y-%m-%dT%H:%M:%S")))
    assert oath_users.parse_line("HOTP/T30/6 root - AB").last_used is None


def test_update_writes_0600_atomically_and_leaves_no_lock(tmp_path):
    path = str(tmp_path / "users.oath")
    assert oath_users.update_users_file(path, lambda f: (f.set("root", ROOT_KEY), f.text())[1]) is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["users.oath"]
    assert oath_users.update_users_file(path, lambda f: (f.set("root", ROOT_KEY), f.text())[1]) is False


def test_update_waits_for_pam_oaths_lock_and_keeps_its_rewrite(tmp_path):
    path = str(tmp_path / "users.oath")
    (tmp_path / "users.oath").write_text("HOTP/T30/6 bob - 0A0B\n")
    lock = tmp_path / "users.oath.lock"
    lock.write_text("")

    def pam_oath_finishes():
        time.sleep(0.3)
        (tmp_path / "users.oath").write_text("HOTP/T30/6 bob - 0A0B 0 123456 2026-01-01T00:00:00L\n")
        lock.unlink()

    worker = threading.Thread(target=pam_oath_finishes)
    worker.start()
    oath_users.update_users_file(path, lambda f: (f.set("root", ROOT_KEY), f.text())[1], timeout=5)
    worker.join()
    text = (tmp_path / "users.oath").read_text()
    assert text.startswith("HOTP/T30/6 bob - 0A0B 0 123456 2026-01-01T00:00:00L\n")
    assert "\troot\t" in text
    assert not lock.exists()


def test_a_lock_that_stays_is_reported_and_never_broken(tmp_path):
    path = str(tmp_path / "users.oath")
    (tmp_path / "users.oath.lock").write_text("")
    with pytest.raises(OathUsersError, match="stale"):
        oath_users.update_users_file(path, lambda f: "x\n", timeout=0.3)
    assert (tmp_path / "users.oath.lock").exists()
    assert not (tmp_path / "users.oath").exists()


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
    assert pam_stack.find_pam_module("pam_oath.so", dirs).endswith("/x86_64-linux-gnu/security/pam_oath.so")
    assert pam_stack.find_pam_module("pam_oath_missing.so", dirs) is None
    assert pam_stack.find_pam_module(str(tmp_path / "nope.so")) is None


@pytest.mark.parametrize("text, version, keyword", [
    ("OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15", (9, 2), "KbdInteractiveAuthentication"),
    ("unknown option -- V\nOpenSSH_8.4p1, OpenSSL 1.1.1n", (8, 4), "ChallengeResponseAuthentication"),
    ("OpenSSH_8.7p1", (8, 7), "KbdInteractiveAuthentication"),
    ("no version here", None, "KbdInteractiveAuthentication"),
])
def test_keyboard_interactive_keyword_follows_the_openssh_version(text, version, keyword):
    assert sshd_config.parse_version(text) == version
    assert sshd_config.kbd_interactive_keyword(version) == keyword


def test_dropin_for_root_as_automation_account_lets_the_key_alone_or_password_and_code_in():
    dropin = sshd_config.SshdDropIn(["root"], "root", version=(9, 2))
    text = dropin.render()
    assert "PermitRootLogin yes\n" in text
    assert "Match User root\n    AuthenticationMethods publickey keyboard-interactive\n    PasswordAuthentication no\n" in text
    assert dropin.expected("root")["authenticationmethods"] == "publickey keyboard-interactive"
    assert text.count("Match User") == 1


def test_dropin_gives_otp_users_password_and_code_and_the_automation_account_key_only():
    dropin = sshd_config.SshdDropIn(["alice"], "ansible", version=(8, 4))
    text = dropin.render()
    assert "ChallengeResponseAuthentication yes" in text and "Kbd" not in text
    assert "PermitRootLogin" not in text
    assert "Match User alice\n    AuthenticationMethods keyboard-interactive\n" in text
    assert "Match User ansible\n    AuthenticationMethods publickey\n" in text
    assert dropin.expected("alice") == {
        "usepam": "yes", "challengeresponseauthentication": "yes",
        "authenticationmethods": "keyboard-interactive", "passwordauthentication": "no",
    }


def test_key_and_otp_mode_never_applies_to_the_automation_account():
    dropin = sshd_config.SshdDropIn(["alice", "root"], "root", auth_mode="key_and_otp")
    assert dropin.methods_for("alice") == "publickey,keyboard-interactive"
    assert dropin.methods_for("root") == "publickey keyboard-interactive"


DEBIAN_MAIN = "# comment\nInclude /etc/ssh/sshd_config.d/*.conf\n\nKbdInteractiveAuthentication no\nUsePAM yes\n"
BARE_MAIN = "PasswordAuthentication yes\nUsePAM yes\n"


@pytest.mark.parametrize("text, needs_include", [
    (DEBIAN_MAIN, False),
    ("Include sshd_config.d/*.conf\n", False),
    ('Include "/etc/ssh/sshd_config.d/*.conf" /etc/ssh/other/*.conf\n', False),
    ("include /etc/ssh/sshd_config.d/*\n", False),
    (BARE_MAIN, True),
    ("#Include /etc/ssh/sshd_config.d/*.conf\n", True),
    ("Include /etc/ssh/other.d/*.conf\n", True),
])
def test_main_config_gets_an_include_at_the_top_only_when_none_reads_the_dropin_folder(text, needs_include):
    main = sshd_config.SshdMainConfig(text)
    after = main.with_include("/etc/ssh/sshd_config.d")
    if not needs_include:
        assert after == text
        return
    assert after.startswith(sshd_config.MARKER + "\nInclude /etc/ssh/sshd_config.d/*.conf\n")
    assert after.endswith(text)
    assert sshd_config.SshdMainConfig(after).without_our_include("/etc/ssh/sshd_config.d") == text


def test_staged_config_reads_the_staged_dropin_folder_instead():
    staged = sshd_config.SshdMainConfig(DEBIAN_MAIN).staged("/etc/ssh/sshd_config.d", "/tmp/stage/d")
    assert "Include /tmp/stage/d/*.conf\n" in staged
    assert "sshd_config.d" not in staged


def test_sshd_t_output_is_parsed_and_compared():
    found = sshd_config.parse_sshd_t("usepam yes\nauthenticationmethods publickey keyboard-interactive\nusepam no\n")
    assert found["usepam"] == "yes"
    assert sshd_config.mismatches(found, {"usepam": "yes", "passwordauthentication": "no"}) == [
        "passwordauthentication is None, expected 'no'"
    ]
