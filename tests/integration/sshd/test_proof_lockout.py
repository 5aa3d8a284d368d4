"""sshd_options that would lock Ansible (or every session) out while password + code still
authenticate: each ends rolled back byte for byte, the key working, the failure named.

Before the backup is dropped, sshd_otp proves on a fresh connection that Ansible's account logs in by
key and runs a command, and that the password + code session runs one too. One lab of three hosts, one
playbook run: each host gets one of the three options. (That a change that locks nobody out is proven
by both checks: test_proof_host_keys.py, through a bastion.)"""

import pyotp

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


def test_options_that_lock_ansible_or_sessions_out_are_rolled_back_naming_the_failure(lab, secrets, sshd_otp):
    before = snapshot(lab)
    options = "{{ %r[inventory_hostname] }}" % {host: opts for host, (opts, _words) in LOCKOUTS.items()}
    proc, results = sshd_otp.run(sshd_options=options)
    for host, (_opts, words) in LOCKOUTS.items():
        result = results[host]
        assert result["failed"] and result.get("rolled_back") and not result["proven"], (host, result)
        assert "login proof failed" in result["msg"] and host in result["msg"]
        for word in words:
            assert word in result["msg"], (host, word, result["msg"])
        assert "; rolled back: /etc/users.oath, /etc/pam.d/sshd, /etc/ssh/sshd_config.d/00-fleet2fa-otp.conf, " \
            "/var/lib/fleet2fa/sshd_otp/state.json restored and sshd reloaded" in result["msg"]
    assert snapshot(lab) == before
    reached = lab.ansible("linux", "ansible.builtin.ping", extra=KEY_ONLY)
    assert sorted(h for h, r in reached.items() if r.get("ping") == "pong") == ["lin01", "lin02", "lin03"]
    for secret in secrets.values():
        assert secret not in proc.stdout + proc.stderr
        assert pyotp.TOTP(secret).now() not in proc.stdout
    assert lab.root_password not in proc.stdout + proc.stderr
