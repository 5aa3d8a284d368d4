# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts of the report's findings on a Linux host: the PAM auth lines, sshd's ways in, Match blocks."""
from __future__ import annotations

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import posture

ROOT = {"usepam": "yes", "authenticationmethods": "publickey keyboard-interactive", "pubkeyauthentication": "yes",
        "hostbasedauthentication": "no", "gssapiauthentication": "no"}


def test_pam_auth_lines_expand_includes_and_read_bracketed_controls(tmp_path):
    (tmp_path / "common-auth").write_text("auth\t[success=1 default=ignore]\tpam_unix.so nullok\n"
                                          "auth\trequisite\t\t\tpam_deny.so\n# auth sufficient pam_x.so\n")
    lines = posture.pam_auth_lines("@include common-auth\nauth required pam_oath.so window=3 # note\n"
                                   "account required pam_nologin.so\n", pam_dir=str(tmp_path))
    assert lines == [
        {"file": "common-auth", "control": "[success=1 default=ignore]", "module": "pam_unix.so", "args": ["nullok"]},
        {"file": "common-auth", "control": "requisite", "module": "pam_deny.so", "args": []},
        {"file": "sshd", "control": "required", "module": "pam_oath.so", "args": ["window=3"]},
    ]
    assert posture.oath_window(lines) == 3


@pytest.mark.parametrize("over,gaps,key", [
    ({}, [], True),
    ({"usepam": "no"}, ["UsePAM no"], True),
    ({"authenticationmethods": "any", "hostbasedauthentication": "yes"}, ["HostbasedAuthentication yes"], True),
    ({"hostbasedauthentication": "yes"}, [], True),  # not among the methods sshd lets in
    ({"authenticationmethods": "publickey,keyboard-interactive"}, [], False),
    ({"pubkeyauthentication": "no"}, [], False),
])
def test_ways_past_the_code_follow_authentication_methods(over, gaps, key):
    effective = dict(ROOT, **over)
    assert posture.code_gaps(effective, "root") == gaps
    assert posture.key_alone(effective) is key


@pytest.mark.parametrize("criteria,spec", [
    (["Address", "192.0.2.0/24"], "user=root,host=localhost,addr=192.0.2.1,laddr=127.0.0.1,lport=22"),
    (["User", "root,alice", "Host", "*.partner"], "user=root,host=x.partner,addr=127.0.0.1,laddr=127.0.0.1,lport=22"),
    (["User", "bob"], None),
    (["Address", "!10.0.0.0/8"], None),
    (["LocalPort", "2222"], "user=root,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=2222"),
])
def test_each_match_block_is_tried_with_a_connection_that_hits_it(criteria, spec):
    assert posture.match_spec(criteria, "root") == spec


def test_match_blocks_of_sshd_files_that_touch_authentication(tmp_path):
    main = tmp_path / "sshd_config"
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "0-site.conf").write_text("Match Address 192.0.2.0/24\n  HostbasedAuthentication yes\n")
    (tmp_path / "d" / "00-ours.conf").write_text("Match User root\n  AuthenticationMethods publickey\n")
    main.write_text("Include %s/d/*.conf\nMatch Group sftp\n  ForceCommand internal-sftp\n" % tmp_path)
    files = posture.sshd_files(str(main))
    blocks = posture.match_blocks(files, skip=(str(tmp_path / "d" / "00-ours.conf"),))
    assert [b["match"] for b in blocks] == ["Address 192.0.2.0/24"]


def test_empty_passwords_are_a_yes_or_no(tmp_path):
    shadow = tmp_path / "shadow"
    shadow.write_text("root:$y$j9T$abc:19000:0:99999:7:::\nbob::19000:0:99999:7:::\nalice:!:19000::::::\n")
    assert posture.empty_passwords(["root", "bob", "alice"], str(shadow)) == {"root": False, "bob": True, "alice": False}
