"""Login proofs behind a bastion: they go the way Ansible goes (ProxyJump) and talk only to the host
Ansible reached (its host keys); a key that does not match fails before any password is sent.

One lab: lin01, lin02 and a bastion; the controller reaches lin01 and lin02 only through the bastion
(tests/lab/fleet up --bastion)."""

import json
import os
import sys
import time

import pyotp
import pytest
import yaml

from fleet_lab import Lab, fleet, lab_name_for

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lab"))
from fleetlib import faults  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_prover import (  # noqa: E402
    HostKeyError,
    HostKeyPins,
    LoginProver,
)
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_route import ansible_route  # noqa: E402

# What sshd (and PAM under it) logs once a client tries a password or keyboard-interactive.
AUTH_WORDS = ("password", "keyboard-interactive", "pam_", "Accepted", "Failed", "authentication")


@pytest.fixture(scope="module")
def lab():
    name = lab_name_for(__file__)
    made = Lab(name)
    fleet("up", "--lab", name, "--linux", "2", "--bastion")
    try:
        made.refresh()
        yield made
    finally:
        if os.environ.get("FLEET2FA_KEEP_LAB") != "1":
            fleet("down", "--lab", name, check=False)


@pytest.fixture(scope="module")
def hostvars(lab):
    with open(lab.inventory, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["all"]["children"]["linux"]["hosts"]


def _play(lab, tmp_path, host, task, extra_vars=None):
    """Run one task on ``host``; its registered result."""
    out = tmp_path / ("%s.json" % host)
    play = [{"hosts": host, "gather_facts": False, "vars": extra_vars or {}, "tasks": [
        dict(task, register="result", ignore_errors=True),
        {"delegate_to": "localhost", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(out),
                                                              "mode": "0600"}}]}]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    proc = lab.run_playbook(str(path))
    assert out.exists(), proc.stdout + proc.stderr
    return json.loads(out.read_text()), proc


def _journal_since(lab, host, since):
    """What the host's sshd logged since epoch ``since``."""
    return faults.host_exec(lab.name, host, "journalctl -q -o cat -u ssh.service --since @%d" % int(since))


def _assert_no_auth_attempt(journal):
    # The prover did reach sshd (it logs the closed connection) ...
    assert "preauth" in journal or "Connection closed" in journal, journal
    # ... and sent no password and no code.
    assert not [line for line in journal.splitlines() if any(w in line for w in AUTH_WORDS)], journal


def test_sshd_otp_proves_password_code_and_key_logins_through_the_bastion(lab, tmp_path):
    task = {"fleet2fa.nas.sshd_otp": {"users": [{"name": "root", "secret": pyotp.random_base32()}],
                                      "verify_password": "{{ lab_root_password }}"}}
    result, proc = _play(lab, tmp_path, "lin01", task)
    assert result.get("proven") and not result.get("failed"), proc.stdout
    bastion = lab.host("bastion").address
    assert result["proof"]["host_key_pinned"] and result["proof"]["session_ran_command"]
    assert bastion in result["proof"]["via"] and "ProxyJump" in result["proof"]["via"]
    assert result["key_login"]["fresh_connection"] and result["key_login"]["session_ran_command"]


def test_a_proof_to_another_host_than_ansible_reached_fails_before_the_password(lab, tmp_path):
    """login_proof for lin02 whose address leads to lin01 (what a spoofed name or address would do)."""
    impostor = lab.host("lin01")
    since = time.time() - 1
    task = {"fleet2fa.nas.login_proof": {"ssh": "password", "password": "{{ lab_root_password }}", "record": False,
                                         "address": impostor.address, "escrow": {"dir": str(tmp_path / "escrow")}}}
    result, proc = _play(lab, tmp_path, "lin02", task)
    assert result.get("failed"), proc.stdout
    assert "presents the host key" in result["msg"] and "lin02 over Ansible's connection" in result["msg"]
    assert "not sending the password" in result["msg"]
    assert lab.root_password not in proc.stdout + proc.stderr
    _assert_no_auth_attempt(_journal_since(lab, "lin01", since))


def test_a_host_whose_keys_changed_since_they_were_read_fails_before_the_password(lab, hostvars):
    host = lab.host("lin02")
    read = lab.ansible("lin02", "ansible.builtin.shell", "cat /etc/ssh/ssh_host_*_key.pub")["lin02"]
    pins = HostKeyPins.from_lines(read["stdout"].splitlines(), "lin02 before the swap")
    option = {"ssh_common_args": hostvars["lin02"]["ansible_ssh_common_args"], "remote_user": "root",
              "private_key_file": lab.key}.get
    route = ansible_route("ssh", option, host.address, 22, False)
    assert route.proxy_command and lab.host("bastion").address in route.via
    prover = LoginProver(host.address, 22, "root", lab.root_password, None, route=route, pins=pins)
    prover.check_host_key()  # through the bastion, lin02 shows one of the keys read over Ansible's connection
    faults.swap_host_keys(lab.name, "lin02")
    since = time.time() - 1
    with pytest.raises(HostKeyError) as failed:
        prover.attempt_password_only()
    assert "presents the host key" in str(failed.value) and "not sending the password" in str(failed.value)
    assert lab.root_password not in str(failed.value)
    _assert_no_auth_attempt(_journal_since(lab, "lin02", since))
