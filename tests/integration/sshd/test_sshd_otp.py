"""fleet2fa.nas.sshd_otp on two real lab hosts: real sshd, real pam_oath, real logins."""

import concurrent.futures
import re
import time

import pyotp
import pytest
import yaml
from ansible.parsing.vault import VaultSecret

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow

from otp_login import fresh_code, kbd_login, password_method_login, wrong_code
from sshd_fixtures import secrets, snapshot, sshd_otp  # noqa: F401  pylint: disable=unused-import

# A fresh connection (no ControlPersist master) that may only use the key.
KEY_ONLY = ["-e", '{"ansible_ssh_args": "-o ControlMaster=no -o ControlPath=none"}',
            "--ssh-extra-args=-o PreferredAuthentications=publickey -o PasswordAuthentication=no"]
# Steps whose code a test (or the module's proof) already used on a host.
USED = {}


def _each_host(lab, check):
    """Run ``check(host)`` on every Linux host in parallel; returns {host name: result}."""
    hosts = lab.group("linux")
    with concurrent.futures.ThreadPoolExecutor(len(hosts)) as pool:
        return dict(zip([h.name for h in hosts], pool.map(check, hosts)))


def _reached_by_key(lab):
    results = lab.ansible("linux", "ansible.builtin.ping", extra=KEY_ONLY)
    return sorted(h for h, r in results.items() if r.get("ping") == "pong")


@pytest.fixture(scope="module")
def lab(make_lab):
    # Two hosts: every test runs on each, and the lab's hosts share one image (the CPU of make test is
    # its budget; test_proof_lockout.py keeps three, one a lockout option).
    return make_lab(linux=2)


def _all_hosts(lab):
    return sorted(h.name for h in lab.group("linux"))


@pytest.fixture(scope="module")
def originals(lab):
    return snapshot(lab)


def test_check_mode_predicts_the_change_and_touches_nothing(lab, secrets, sshd_otp, originals):
    proc, results = sshd_otp.run("--check", "--diff")
    assert all(r["changed"] and not r.get("failed") for r in results.values()), proc.stdout
    assert snapshot(lab) == originals
    assert "pam_oath.so usersfile=/etc/users.oath window=3 digits=6" in proc.stdout
    assert "Match User root" in proc.stdout
    for name, secret in secrets.items():
        assert secret not in proc.stdout + proc.stderr
        assert pyotp.TOTP(secret).byte_secret().hex().upper() not in proc.stdout.upper()


def test_apply_proves_a_real_login_on_every_host(lab, sshd_otp):
    started = time.monotonic()
    proc, results = sshd_otp.run()
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host, result in results.items():
        assert result["changed"] and result["proven"], (host, result)
        assert result["proof"]["wrong_code_refused"] is True
        assert result["users_added"] == ["root"]
        USED[host] = int(time.time() // 30)
    print("apply + proof on %d hosts: %.1f s" % (len(results), elapsed))


def test_root_logs_in_with_password_and_current_code(lab, secrets):
    def check(host):
        code, step = fresh_code(secrets[host.name], USED.get(host.name))
        USED[host.name] = step
        return kbd_login(host.address, "root", host.root_password, code)

    assert set(_each_host(lab, check).values()) == {"root"}


def test_wrong_code_wrong_password_replay_and_password_only_are_refused(lab, secrets):
    def check(host):
        secret = secrets[host.name]
        outcome = {
            "wrong code": kbd_login(host.address, "root", host.root_password, wrong_code(secret)),
            "wrong password": kbd_login(host.address, "root", host.root_password + "x",
                                        pyotp.TOTP(secret).now()),
            "password method": password_method_login(host.address, "root", host.root_password),
            "password, empty code": kbd_login(host.address, "root", host.root_password, ""),
        }
        code, step = fresh_code(secret, USED.get(host.name))
        USED[host.name] = step
        outcome["first use"] = kbd_login(host.address, "root", host.root_password, code)
        outcome["replay"] = kbd_login(host.address, "root", host.root_password, code)
        return outcome

    for host, outcome in _each_host(lab, check).items():
        assert outcome == {"wrong code": None, "wrong password": None, "password method": False,
                           "password, empty code": None, "first use": "root", "replay": None}, host


def test_ansible_still_reaches_every_host_by_key_alone(lab):
    assert _reached_by_key(lab) == _all_hosts(lab)


def test_second_run_after_pam_rewrite_reports_no_change(lab, sshd_otp):
    rewritten = lab.ansible("linux", "ansible.builtin.command", "awk -F'\\t' '$2==\"root\" {print NF}' /etc/users.oath")
    assert all(r["stdout"].strip() == "7" for r in rewritten.values()), rewritten  # counter, last code, time
    before = snapshot(lab)
    proc, results = sshd_otp.run("--diff")
    assert proc.returncode == 0, proc.stdout
    assert [r["changed"] for r in results.values()] == [False] * len(lab.group("linux")), results
    assert "changed=0" in proc.stdout and "changed=1" not in proc.stdout
    assert snapshot(lab) == before


def test_bad_input_fails_before_anything_is_touched(lab, sshd_otp):
    before = snapshot(lab)
    proc, results = sshd_otp.run(users=[{"name": "root:0", "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}])
    assert all("users[0].name must not contain" in r["msg"] for r in results.values()), results
    proc, results = sshd_otp.run(users=[{"name": "nobody2fa", "secret": "JBSWY3DPEHPK3PXP"}], window=11)
    assert all("window must be between 0 and 10" in r["msg"] for r in results.values()), results
    assert "JBSWY3DPEHPK3PXP" not in proc.stdout + proc.stderr
    assert snapshot(lab) == before


@pytest.mark.parametrize("bad, message", [
    ({"sshd_options": {"MaxAuthTries": "many"}}, "sshd -t rejects the resulting configuration"),
    ({"pam_module": "pam_oath_missing.so"}, "the PAM module pam_oath_missing.so is not installed"),
], ids=["drop-in option sshd rejects", "pam line to a missing module"])
def test_fault_fails_cleanly_with_the_host_unchanged_and_reachable(lab, sshd_otp, bad, message):
    before = snapshot(lab)
    proc, results = sshd_otp.run(**bad)
    assert proc.stdout.count("ignored=1") == len(lab.group("linux"))  # each host failed the task (ignore_errors in the play)
    for host, result in results.items():
        assert result["failed"] and message in result["msg"], (host, result)
        assert not result["changed"]
    assert snapshot(lab) == before
    assert _reached_by_key(lab) == _all_hosts(lab)


def test_failed_login_proof_rolls_every_file_back(lab, sshd_otp):
    before = snapshot(lab)
    # A new secret for root is a real change; the wrong password makes the proof fail.
    proc, results = sshd_otp.run(users=[{"name": "root", "secret": pyotp.random_base32()}],
                                 verify_password="not-the-root-password")
    for host, result in results.items():
        assert result["failed"] and result.get("rolled_back"), (host, result)
        assert "login proof failed" in result["msg"] and host in result["msg"]
        assert "/etc/users.oath" in result["msg"]
    assert snapshot(lab) == before
    assert _reached_by_key(lab) == _all_hosts(lab)


def test_names_alone_take_the_escrowed_secrets_through_the_escrow_group(lab, tmp_path):
    """No secret in the play: sshd_otp reads each host's from the escrow that module_defaults name."""
    vault = tmp_path / "vault-password"
    vault.write_text("sshd lab vault password\n")
    escrow_dir = str(tmp_path / "escrow")
    play = tmp_path / "escrowed.yml"
    play.write_text(yaml.safe_dump([{
        "name": "sshd_otp with the escrow's secrets", "hosts": "linux", "gather_facts": False,
        "module_defaults": {"group/fleet2fa.nas.escrow": {"escrow": {"dir": escrow_dir}}},
        "tasks": [
            {"name": "Escrow a secret", "fleet2fa.nas.totp_secret": {"user": "root"}},
            {"name": "Put it in force", "fleet2fa.nas.sshd_otp": {"users": [{"name": "root"}],
                                                                  "verify_password": "{{ lab_root_password }}"}},
        ],
    }], sort_keys=False))
    proc = lab.run_playbook(str(play), "--vault-password-file", str(vault))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # On each host a secret escrowed, and put in force with a proven login.
    assert len(re.findall(r"^lin0\d +: ok=2 +changed=2 +unreachable=0 +failed=0", proc.stdout, re.M)) == len(lab.group("linux")), proc.stdout
    for host in lab.group("linux"):
        USED[host.name] = int(time.time() // 30)  # the proof's code
    store = open_escrow({"dir": escrow_dir}, vault_secrets=[("default", VaultSecret(b"sshd lab vault password"))])

    def check(host):
        secret = store.get(host.name, "root").key.secret
        assert secret not in proc.stdout + proc.stderr
        code, step = fresh_code(secret, USED.get(host.name))
        USED[host.name] = step
        return kbd_login(host.address, "root", host.root_password, code)

    assert set(_each_host(lab, check).values()) == {"root"}


def test_absent_restores_every_file_byte_for_byte(lab, sshd_otp, originals, secrets):
    proc, results = sshd_otp.run(state="absent", users=[{"name": "root"}], verify_password=None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(r["changed"] for r in results.values())
    assert snapshot(lab) == originals
    proc, results = sshd_otp.run(state="absent", users=[{"name": "root"}], verify_password=None)
    assert [r["changed"] for r in results.values()] == [False] * len(lab.group("linux"))
    assert _reached_by_key(lab) == _all_hosts(lab)
