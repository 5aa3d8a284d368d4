# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pam_oath users file, table-driven from sshd_otp_cases.yml."""
from __future__ import annotations

import os
import stat
import threading
import time

import pytest
import yaml

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import oath_users
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.oath_users import OathUsersFile, OathUsersError
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey

with open(os.path.join(os.path.dirname(__file__), "sshd_otp_cases.yml")) as cases_file:
    CASES = yaml.safe_load(cases_file)
ROOT_KEY = TotpKey(CASES["secrets"]["root"])


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
