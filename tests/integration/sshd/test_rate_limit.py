# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rate limiting of code failures (pam_faillock, on by default) on one real lab host: deny wrong codes in
a row lock root's password + code login for the unlock time, Ansible's key works throughout, a good login
after the unlock time works, a rollout after a lock proves and leaves no count, disable.yml takes it out.
The first rollout shortens deny and unlock_time with the role's variables (fleet2fa_rate_limit_deny,
fleet2fa_rate_limit_unlock_time); the later one, without them, puts the defaults (10 and 600 s) back.
Logins use tests/lab/login_check.py, a client apart from the collection's prover."""

from __future__ import annotations

import os
import sys
import time

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from fleet_lab import TOP

sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import login_check  # noqa: E402  pylint: disable=wrong-import-position

VAULT_PASSWORD = "rate limit vault password"
DENY, UNLOCK = 3, 12
TALLY = "faillock --dir /run/fleet2fa-faillock --user root"


class Host:
    def __init__(self, lab, work):
        self.lab, self.work = lab, work
        self.host = lab.host("lin01")
        self.vault = os.path.join(work, "vault-password")
        with open(self.vault, "w", encoding="utf-8") as fh:
            fh.write(VAULT_PASSWORD + "\n")
        self.escrow_dir = os.path.join(work, "escrow")

    def play(self, name, *extra):
        return self.lab.run_playbook(
            os.path.join(TOP, "playbooks", name), "--vault-password-file", self.vault,
            "-e", "fleet2fa_escrow_dir=" + self.escrow_dir, "-e", "fleet2fa_qr_dir=" + os.path.join(self.work, "qr"),
            "-e", "fleet2fa_report_dir=" + os.path.join(self.work, "report"), "-e", "fleet2fa_enroll_from_escrow=true",
            *extra)

    def shell(self, command):
        """A command over Ansible's key (the key-only path that must never be locked): (rc, stdout)."""
        result = self.lab.ansible("lin01", "ansible.builtin.shell", command)["lin01"]
        assert not result.get("unreachable"), result
        return result.get("rc"), result.get("stdout", "")

    def secret(self):
        vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
        with open(os.path.join(self.escrow_dir, "lin01.yml"), "rb") as fh:
            return yaml.safe_load(vault.decrypt(fh.read()))["users"]["root"]["secret"]

    def login(self, code):
        return login_check.login(self.host.address, "root", self.lab.root_password, code).ok

    def lock(self, secret):
        wrong = login_check.wrong_code(secret)
        assert [self.login(wrong) for _n in range(DENY)] == [False] * DENY
        return time.time()


def counted(tally):
    """How many failures faillock's table still counts (its Valid column says V)."""
    return sum(1 for line in tally.splitlines()[2:] if line.split()[-1:] == ["V"])


def ok(run):
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def host(make_lab, tmp_path_factory):
    made = Host(make_lab(linux=1), str(tmp_path_factory.mktemp("rate-limit")))
    ok(made.play("rollout.yml", "-e", "fleet2fa_rate_limit_deny=%d" % DENY, "-e",
                 "fleet2fa_rate_limit_unlock_time=%d" % UNLOCK))
    made.rolled_out = time.time()
    return made


def test_rollout_puts_the_counter_around_the_code_step_with_the_role_variables(host):
    _rc, pam = host.shell("cat /etc/pam.d/sshd")
    assert "auth requisite pam_faillock.so preauth dir=/run/fleet2fa-faillock deny=%d unlock_time=%d" % (
        DENY, UNLOCK) in pam
    assert pam.index("preauth") < pam.index("@include common-auth") < pam.index("auth requisite pam_oath.so") \
        < pam.index("auth optional pam_faillock.so authsucc dir=/run/fleet2fa-faillock")
    # The rollout's own wrong-code check counts one at most (its good login clears what came before).
    assert counted(host.shell(TALLY)[1]) <= 1


def test_wrong_codes_lock_password_and_code_for_the_unlock_time_and_the_key_keeps_working(host):
    secret = host.secret()
    # A code of a step no run used yet (pam_oath refuses a step it took), good for the whole test.
    code = login_check.next_step_code(secret)
    locked_at = host.lock(secret)
    assert host.login(code) is False  # the right code: refused, the account is locked
    assert host.shell("true")[0] == 0  # Ansible's key, not counted and not locked
    while not host.login(code):  # a locked attempt stops at preauth: it neither counts nor uses the code
        assert time.time() - locked_at < UNLOCK + 20, "still locked long after the unlock time"
        time.sleep(1)
    assert time.time() - locked_at >= UNLOCK - 1
    assert counted(host.shell(TALLY)[1]) == 0  # the good login cleared the count


def test_a_rollout_after_a_lock_proves_and_does_not_lock_and_puts_the_defaults_back(host):
    locked_at = host.lock(host.secret())
    time.sleep(max(0.0, locked_at + UNLOCK + 1 - time.time()))  # the lock runs out; its failures with it
    ok(host.play("rollout.yml"))
    assert counted(host.shell(TALLY)[1]) <= 1
    assert "deny=10 unlock_time=600" in host.shell("cat /etc/pam.d/sshd")[1]


def test_disable_removes_the_counter_with_the_rest(host):
    ok(host.play("disable.yml"))
    _rc, pam = host.shell("cat /etc/pam.d/sshd")
    assert "pam_faillock" not in pam and "pam_oath" not in pam
