"""sshd_options that would lock Ansible (or every session) out while password + code still
authenticate: each ends rolled back byte for byte, the key working, the failure named.

Before the backup is dropped, sshd_otp proves on a fresh connection that Ansible's account logs in by
key and runs a command, and that the password + code session runs one too. One lab of three hosts, one
playbook run: each host gets one of the three options."""

import time

import pyotp
import pytest

from sshd_fixtures import lab, secrets, snapshot, sshd_otp  # noqa: F401  pylint: disable=unused-import

# A fresh connection (no ControlPersist master) that may only use the key.
KEY_ONLY = ["-e", '{"ansible_ssh_args": "-o ControlMaster=no -o ControlPath=none"}',
            "--ssh-extra-args=-o PreferredAuthentications=publickey -o PasswordAuthentication=no"]
# Each host's option, and the words its failure must carry.
LOCKOUTS = {
    "lin01": ({"AuthorizedKeysFile": "/etc/ssh/authorized_keys_%u"},
              ["automation account root cannot log in by key", "Permission denied (publickey"]),
    "lin02": ({"ForceCommand": "/bin/false"},
              ["automation account root cannot log in by key", "the session ran no command",
               "password + code got root in, but the session ran no command"]),
    "lin03": ({"MaxSessions": "0"},
              ["automation account root cannot log in by key", "channel 0: open failed",
               "password + code got root in, but sshd opens no session"]),
}


def _without_users_file(text):
    return [line for line in text.splitlines() if not line.startswith("/etc/users.oath ")]


@pytest.fixture(scope="module")
def enrolled(lab, sshd_otp):
    """Every host behind password + code first (a plain apply that proves), so that the run under test
    changes only the drop-in."""
    proc, results = sshd_otp.run()
    assert all(r.get("proven") for r in results.values()), proc.stdout + proc.stderr
    assert all(r["key_login"]["session_ran_command"] for r in results.values())
    return int(time.time() // 30)


def test_options_that_lock_ansible_or_sessions_out_are_rolled_back_naming_the_failure(lab, secrets, sshd_otp,
                                                                                      enrolled):
    before = snapshot(lab)
    options = "{{ %r[inventory_hostname] }}" % {host: opts for host, (opts, _words) in LOCKOUTS.items()}
    proc, results = sshd_otp.run(sshd_options=options)
    for host, (_opts, words) in LOCKOUTS.items():
        result = results[host]
        assert result["failed"] and result.get("rolled_back") and not result["proven"], (host, result)
        assert "login proof failed" in result["msg"] and host in result["msg"]
        for word in words:
            assert word in result["msg"], (host, word, result["msg"])
        assert "rolled back: /etc/ssh/sshd_config.d/00-fleet2fa-otp.conf restored and sshd reloaded" in result["msg"]
    after = snapshot(lab)
    for host in LOCKOUTS:
        # Every file as before; /etc/users.oath holds pam_oath's own note of the step the proof's login used
        # (lin02 and lin03 took the code), which no rollback may undo (the code would be good again).
        assert _without_users_file(after[host]) == _without_users_file(before[host]), host
        assert after[host].count("/etc/users.oath 600 root root") == 1
    reached = lab.ansible("linux", "ansible.builtin.ping", extra=KEY_ONLY)
    assert sorted(h for h, r in reached.items() if r.get("ping") == "pong") == ["lin01", "lin02", "lin03"]
    for secret in secrets.values():
        assert secret not in proc.stdout + proc.stderr
        assert pyotp.TOTP(secret).now() not in proc.stdout
    assert lab.root_password not in proc.stdout + proc.stderr
