# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linux state reader tells where sshd and its unit are, from the distribution table (the disable
role reloads and validates with what it says), and shows fingerprints, never secrets."""
from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.state import linux_state
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey

KEY = TotpKey("AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU")


def _host(tmp_path):
    (tmp_path / "pam.d").mkdir()
    (tmp_path / "pam.d" / "sshd").write_text(
        "auth substack password-auth\nauth required pam_oath.so usersfile=%s window=3 digits=6\n" % (tmp_path / "users.oath"))
    (tmp_path / "users.oath").write_text("HOTP/T30/6\troot\t-\t%s\n" % KEY.hex)
    (tmp_path / "sshd_config").write_text("UsePAM yes\n")
    return {"usersfile": str(tmp_path / "users.oath"), "pam_file": str(tmp_path / "pam.d" / "sshd"),
            "sshd_config": str(tmp_path / "sshd_config"), "dropin": str(tmp_path / "00-fleet2fa-otp.conf"),
            "backup_dir": str(tmp_path / "state")}


def _el_host(argv):
    """An EL host: only sshd.service is known, and sshd asks root for password + code."""
    if argv[0] == "systemctl":
        return 0, "loaded\n" if argv[-1] == "sshd.service" else "not-found\n", ""
    return 0, "usepam yes\npasswordauthentication no\nauthenticationmethods keyboard-interactive\n", ""


def test_an_el_host_reports_its_sshd_unit_and_binary_from_the_table(tmp_path, monkeypatch):
    monkeypatch.setattr(layout, "find_sshd", lambda: "/usr/local/sbin/sshd")
    state = linux_state(_host(tmp_path), _el_host)
    assert state["sshd"]["service"] == "sshd.service"
    assert state["sshd"]["binary"] == "/usr/local/sbin/sshd"
    assert state["ssh_otp"] is True and state["users"][0]["fingerprint"] == KEY.fingerprint
    assert KEY.secret not in repr(state) and KEY.hex not in repr(state)
