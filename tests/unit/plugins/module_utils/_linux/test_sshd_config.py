# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd drop-in, the main config's Include and what sshd -T must say."""
from __future__ import annotations

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import sshd_config


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
