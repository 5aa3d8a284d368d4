# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SshdOtpHost on a host tree in a temporary folder: sshd and systemctl are stand-ins, files are real.

The real sshd, PAM and logins are exercised by tests/integration/sshd; here the order of work, the
byte-for-byte round trips and the rollback are pinned without a lab.
"""
from __future__ import annotations

import os

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_host import HostError, SshdOtpHost
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_plan import ChangeKind
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_request import SshdOtpRequest

SECRET = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU"
SECRET_HEX = "0102030405060708090A0B0C0D0E0F1011121314"
PAM = "# PAM configuration for the Secure Shell service\n\n@include common-auth\n\naccount required pam_nologin.so\n"
MAIN = "PasswordAuthentication yes\nUsePAM yes\n"


class FakeHost:
    """Answers sshd -V/-t/-T and systemctl like a healthy Debian 12 host; records every call."""

    def __init__(self, sshd_t_error=None):
        self.calls = []
        self.sshd_t_error = sshd_t_error

    def __call__(self, argv):
        self.calls.append(argv)
        if argv[0] == "systemctl":
            return (0, "loaded\n", "") if argv[1] == "show" and argv[-1] == "ssh.service" else (0, "", "")
        if "-V" in argv:
            return 0, "", "OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15\n"
        if "-t" in argv:
            return (255, "", self.sshd_t_error) if self.sshd_t_error else (0, "", "")
        if "-T" in argv:
            user = argv[argv.index("-C") + 1].split(",")[0].split("=")[1]
            methods = "publickey keyboard-interactive" if user == "root" else "keyboard-interactive"
            return 0, ("usepam yes\nkbdinteractiveauthentication yes\npasswordauthentication no\n"
                       "permitrootlogin yes\npubkeyauthentication yes\nauthenticationmethods %s\n" % methods), ""
        raise AssertionError(argv)


@pytest.fixture()
def tree(tmp_path, monkeypatch):
    (tmp_path / "ssh" / "sshd_config.d").mkdir(parents=True)
    (tmp_path / "pam.d").mkdir()
    (tmp_path / "ssh" / "sshd_config").write_text(MAIN)
    (tmp_path / "pam.d" / "sshd").write_text(PAM)
    monkeypatch.setattr(layout, "find_pam_module", lambda module: "/lib/security/" + module)
    return tmp_path


def _request(tree, state="present", **extra):
    params = dict(
        state=state, users=[{"name": "root", "secret": SECRET}], automation_user="root",
        usersfile=str(tree / "users.oath"), pam_file=str(tree / "pam.d" / "sshd"),
        sshd_config=str(tree / "ssh" / "sshd_config"), dropin=str(tree / "ssh" / "sshd_config.d" / "00-otp.conf"),
        backup_dir=str(tree / "state"),
    )
    params.update(extra)
    return SshdOtpRequest(params, user_exists=lambda name: True)


def _files(tree):
    found = {}
    for folder, _dirs, names in os.walk(tree):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, tree)] = handle.read()
    return found


def _run(tree, fake, state="present", **extra):
    host = SshdOtpHost(_request(tree, state, **extra), fake, sshd_path="/usr/sbin/sshd")
    plan = host.plan()
    host.preflight(plan)
    return host, plan, host.apply(plan)


def test_present_then_absent_gives_every_file_back_byte_for_byte(tree):
    before = _files(tree)
    fake = FakeHost()
    host, _plan, handle = _run(tree, fake)
    host.discard(handle)
    assert (tree / "users.oath").read_text() == "HOTP/T30/6\troot\t-\t%s\n" % SECRET_HEX
    assert oct((tree / "users.oath").stat().st_mode & 0o777) == "0o600"
    # requisite: the rate limit's reset line follows it, and a failed code must stop there.
    assert "auth requisite pam_oath.so usersfile=%s window=3 digits=6\n" % (tree / "users.oath") in (tree / "pam.d" / "sshd").read_text()
    assert (tree / "ssh" / "sshd_config").read_text().endswith("/*.conf\n" + MAIN)
    assert ["systemctl", "reload", "ssh.service"] in fake.calls
    host, _plan, handle = _run(tree, FakeHost(), state="absent")
    host.discard(handle)
    assert _files(tree) == before
    assert not (tree / "state").exists()


def test_second_run_after_a_pam_oath_rewrite_changes_nothing(tree):
    host, _plan, handle = _run(tree, FakeHost())
    host.discard(handle)
    line = "HOTP/T30/6\troot\t-\t%s\t0\t806756\t2026-11-28T17:13:14L\n" % SECRET_HEX
    (tree / "users.oath").write_text(line)
    fake = FakeHost()
    host, plan, handle = _run(tree, fake)
    assert handle is None and not any(c.changed for c in plan)
    assert (tree / "users.oath").read_text() == line
    assert not any(call[:2] == ["systemctl", "reload"] for call in fake.calls)


def test_rejected_config_is_refused_before_any_write(tree):
    before = _files(tree)
    host = SshdOtpHost(_request(tree), FakeHost(sshd_t_error="line 5: unsupported option"), sshd_path="/usr/sbin/sshd")
    plan = host.plan()
    with pytest.raises(HostError, match="sshd -t rejects the resulting configuration: line 5"):
        host.preflight(plan)
    assert _files(tree) == before


def test_missing_pam_module_is_refused_before_any_write(tree, monkeypatch):
    monkeypatch.setattr(layout, "find_pam_module", lambda module: None)
    before = _files(tree)
    host = SshdOtpHost(_request(tree, pam_module="pam_nope.so"), FakeHost(), sshd_path="/usr/sbin/sshd")
    with pytest.raises(HostError, match="pam_nope.so is not installed"):
        host.preflight(host.plan())
    assert _files(tree) == before


def test_restore_puts_back_what_a_run_changed_and_reloads(tree):
    host, _plan, handle = _run(tree, FakeHost())
    host.discard(handle)
    settled = _files(tree)
    other = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    fake = FakeHost()
    host, plan, handle = _run(tree, fake, users=[{"name": "root", "secret": other}], window=5)
    assert plan.users_updated == ["root"]
    restored = host.restore(handle)
    assert sorted(os.path.basename(p) for p in restored) == ["sshd", "users.oath"]
    assert _files(tree) == settled
    assert fake.calls[-1] == ["systemctl", "reload", "ssh.service"]


class DeadSshd(FakeHost):
    """A host whose sshd was killed after the apply: systemctl reload fails."""

    def __call__(self, argv):
        if argv[:2] == ["systemctl", "reload"]:
            self.calls.append(argv)
            return 1, "", "ssh.service is not active, cannot reload."
        return super().__call__(argv)


def test_restore_with_an_sshd_that_cannot_reload_puts_every_file_back_and_leaves_no_backup(tree):
    host, _plan, handle = _run(tree, FakeHost())
    host.discard(handle)
    settled = _files(tree)
    host, _plan, handle = _run(tree, FakeHost(), users=[{"name": "root", "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}])
    dead = SshdOtpHost(_request(tree), DeadSshd(), sshd_path="/usr/sbin/sshd")
    with pytest.raises(HostError, match="every file was restored, but systemctl reload ssh.service failed"):
        dead.restore(handle)
    assert _files(tree) == settled  # the files as before, and no run folder left under the state dir


def test_diff_of_the_users_file_shows_a_fingerprint_never_the_secret(tree):
    host = SshdOtpHost(_request(tree), FakeHost(), sshd_path="/usr/sbin/sshd")
    oath = next(c for c in host.plan() if c.kind is ChangeKind.USERS_FILE)
    shown = "%s%s" % (oath.shown_before, oath.shown_after)
    assert shown.startswith("Noneroot HOTP/T30/6 sha256:")
    assert SECRET not in shown and SECRET_HEX not in shown.upper()


def test_a_world_readable_users_file_is_set_back_to_0600_and_reported(tree):
    host, _plan, handle = _run(tree, FakeHost())
    host.discard(handle)
    oath = tree / "users.oath"
    text = oath.read_text()
    oath.chmod(0o644)
    host = SshdOtpHost(_request(tree), FakeHost(), sshd_path="/usr/sbin/sshd")
    plan = host.plan()
    change = next(c for c in plan if c.kind is ChangeKind.USERS_FILE)
    assert change.changed and change.mode_fix == "mode 0644"
    assert change.shown_before.endswith("# mode 0644\n") and change.shown_after.endswith("# mode 0600, owner root\n")
    assert plan.notes == ["%s had mode 0644; it is set to 0600, owner root" % oath]
    assert [c.path for c in plan.changed] == [str(oath)]
    assert oath.stat().st_mode & 0o777 == 0o644  # planning (check mode) changes nothing
    host.preflight(plan)
    host.discard(host.apply(plan))
    assert oath.stat().st_mode & 0o777 == 0o600 and oath.read_text() == text
    assert not any(c.changed for c in SshdOtpHost(_request(tree), FakeHost(), sshd_path="/usr/sbin/sshd").plan())


@pytest.mark.parametrize("where, text", [
    ("ssh/sshd_config", "MaxAuthTries 6\nInclude {tree}/ssh/sshd_config.d/*.conf\n"),
    ("ssh/sshd_config.d/00-admin.conf", "maxauthtries 6\n"),
])
def test_an_sshd_option_that_sshd_reads_first_elsewhere_is_refused(tree, where, text):
    (tree / where).write_text(text.format(tree=tree))
    before = _files(tree)
    host = SshdOtpHost(_request(tree, sshd_options={"MaxAuthTries": 3}), FakeHost(), sshd_path="/usr/sbin/sshd")
    with pytest.raises(HostError, match=r"sshd_options: MaxAuthTries is already set on line 1 of .*%s, which sshd "
                                        r"reads before the drop-in" % os.path.basename(where)):
        host.plan()
    assert _files(tree) == before


def test_an_sshd_option_set_after_the_include_or_in_a_match_block_is_written(tree):
    (tree / "ssh" / "sshd_config").write_text("Include %s/ssh/sshd_config.d/*.conf\nMaxAuthTries 6\n" % tree)
    (tree / "ssh" / "sshd_config.d" / "00-admin.conf").write_text("Match User bob\n    MaxAuthTries 2\n")
    host = SshdOtpHost(_request(tree, sshd_options={"MaxAuthTries": 3}), FakeHost(), sshd_path="/usr/sbin/sshd")
    assert "\nMaxAuthTries 3\n" in host.plan().after(str(tree / "ssh" / "sshd_config.d" / "00-otp.conf"))
