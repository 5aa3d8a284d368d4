# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input that needs a run of its own: a wrong vault secret, corrupt escrow files, the shipped playbooks'
run settings. Everything that fits one play is in the table of test_bad_input_table.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

BIN = os.path.dirname(sys.executable)


def secret_task(ctl, escrow=None, **args):
    return {"name": "Escrow", "fleet2fa.nas.totp_secret": dict({"escrow": dict({"dir": ctl.escrow_dir}, **(escrow or {}))}, **args)}


def qr_task(ctl, **args):
    return {"name": "QR", "fleet2fa.nas.totp_qr": dict({"escrow": {"dir": ctl.escrow_dir}, "qr_dir": ctl.qr_dir}, **args)}


def test_missing_vault_secret_creates_nothing(ctl):
    out = ctl.run([secret_task(ctl)], vault=False, expect_rc=2)
    assert "needs the play's vault secret: run ansible-playbook with --vault-id or --vault-password-file" in out
    assert not os.path.exists(ctl.escrow_dir)


def test_wrong_vault_secret_changes_nothing(ctl, tmp_path):
    ctl.run([secret_task(ctl)])
    before = ctl.snapshot()
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not the password\n")
    for task in (secret_task(ctl, user="admin"), secret_task(ctl, regenerate="always"), qr_task(ctl)):
        out = ctl.run([task], vault=str(wrong), expect_rc=2)
        assert "cannot decrypt %s/nas1.yml with the play's vault secrets" % ctl.escrow_dir in out
    assert ctl.snapshot() == before


def test_corrupt_and_foreign_escrow_files_are_left_alone(ctl):
    os.makedirs(ctl.escrow_dir, mode=0o700)
    vault = VaultLib([("default", VaultSecret(ctl.vault_password.encode()))])
    cases = {
        b"users: {root: {secret: plain}}\n": "is not an ansible-vault encrypted file",
        vault.encrypt(b"- a list\n- of things\n"): "is not a fleet2fa escrow document",
        vault.encrypt(b"format: fleet2fa.nas/escrow/v1\nhost: nas9\nusers: {}\n"): "belongs to host 'nas9', not 'nas1'",
        vault.encrypt(b"users: [unclosed\n"): "decrypts but is not valid YAML",
    }
    for content, message in cases.items():
        with open(os.path.join(ctl.escrow_dir, "nas1.yml"), "wb") as f:
            f.write(content)
        before = ctl.snapshot()
        out = ctl.run([secret_task(ctl)], expect_rc=2)
        assert message in out
        assert ctl.snapshot() == before


def test_qr_dir_that_is_a_file_or_cannot_be_made(ctl):
    ctl.run([secret_task(ctl)])
    with open(ctl.qr_dir, "w") as f:
        f.write("a file")
    out = ctl.run([qr_task(ctl)], expect_rc=2)
    assert "%s exists and is not a directory; nothing was written" % ctl.qr_dir in out
    # root may write anywhere but in /proc
    out = ctl.run([qr_task(ctl, qr_dir="/proc/fleet2fa-qr")], expect_rc=2)
    assert "cannot create qr_dir: /proc/fleet2fa-qr" in out and "nothing was written" in out


def test_host_name_that_would_leave_the_folders(ctl):
    ctl.inventory(["../x"])
    out = ctl.run([secret_task(ctl), qr_task(ctl)], expect_rc=2)
    assert "host name '../x' cannot be used in the escrow" in out
    assert not os.path.exists(ctl.escrow_dir) and not os.path.exists(ctl.qr_dir)
    assert not os.path.exists(os.path.join(ctl.root, "x.yml"))


def test_too_few_devices_stops_activation(ctl):
    ctl.run([secret_task(ctl)])
    out = ctl.run([{"name": "Enroll", "fleet2fa.nas.totp_enrollment": {
        "escrow": {"dir": ctl.escrow_dir}, "devices": [{"name": "phone"}], "verify_from_escrow_for_labs": True,
        "check_min_devices": True}}], expect_rc=2)
    assert "root on nas1 has 1 verified device(s); activation needs at least 2" in out


def test_unreachable_openbao(ctl):
    out = ctl.run([secret_task(ctl, escrow={"backend": "kv", "url": "http://127.0.0.1:9", "token": "x", "timeout": 3})], expect_rc=2)
    assert "http://127.0.0.1:9: cannot check the token: OpenBao/Vault is unreachable" in out


@pytest.fixture
def black_hole():
    """The URL of a TCP port that takes connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield "http://127.0.0.1:%d" % listener.getsockname()[1]


def test_login_proof_timeout_is_the_proofs_and_the_escrow_keeps_its_own(ctl, black_hole):
    escrow = {"backend": "kv", "url": black_hole, "token": "x"}
    out = ctl.run([{"name": "Record", "fleet2fa.nas.login_proof": {
        "escrow": escrow, "timeout": 1, "record_only": True}}], expect_rc=2)
    assert "%s: cannot check the token: OpenBao/Vault did not answer within 10 s (escrow.timeout)" % black_hole in out
    out = ctl.run([{"name": "Record", "fleet2fa.nas.login_proof": {
        "escrow": dict(escrow, timeout=2), "timeout": 30, "record_only": True}}], expect_rc=2)
    assert "did not answer within 2 s (escrow.timeout)" in out


def _play_shipped(ctl, playbook, *extra):
    with open(ctl.inventory_path, "w") as f:  # nas1 in the linux group, as the fleet plays expect
        yaml.safe_dump({"all": {"children": {"linux": {"hosts": {"nas1": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}}}, f)
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", ctl.inventory_path, "fleet2fa.nas." + playbook,
                           "--vault-password-file", ctl.vault_file, "-e", "fleet2fa_escrow_dir=" + ctl.escrow_dir,
                           "-e", "fleet2fa_qr_dir=" + ctl.qr_dir, *extra],
                          env=ctl.env, cwd=ctl.root, capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("playbook", ["rollout.yml", "activate.yml"])
def test_a_canary_pattern_that_matches_no_host_stops_the_run_before_any_change(ctl, playbook):
    rc, out = _play_shipped(ctl, playbook, "-e", "fleet2fa_canary=nas9")
    assert rc != 0, out
    assert "fleet2fa_canary 'nas9' matches no host of the inventory" in out
    assert "TASK [fleet2fa.nas.rollout" not in out  # no host reached the role, canary or batch
    assert not os.path.exists(ctl.escrow_dir) and not os.path.exists(ctl.qr_dir)


def test_a_canary_pattern_that_matches_goes_on_to_the_role(ctl):
    rc, out = _play_shipped(ctl, "activate.yml", "-e", "fleet2fa_canary=nas1")
    assert "matches no host of the inventory" not in out
    assert "TASK [fleet2fa.nas.rollout" in out, out  # (the role then refuses: no password, a local connection)
    assert rc != 0


@pytest.mark.parametrize("setting, message", [
    ("fleet2fa_serial=abc", "fleet2fa_serial must be a number of hosts, a percentage such as 20% or a list of them, got 'abc'"),
    ("fleet2fa_serial=0", "fleet2fa_serial must be a number of hosts"),
    ("fleet2fa_max_fail_percentage=150", "fleet2fa_max_fail_percentage must be a whole number from 0 to 100, got '150'"),
])
def test_a_role_or_batch_setting_out_of_range_is_refused_before_any_change(ctl, setting, message):
    rc, out = _play_shipped(ctl, "rollout.yml", "-e", setting)
    assert rc != 0, out
    assert message in out, out[-3000:]
    assert "Traceback" not in out
    assert "TASK [fleet2fa.nas.rollout : Provision" not in out
    assert not os.path.exists(ctl.escrow_dir) and not os.path.exists(ctl.qr_dir)
