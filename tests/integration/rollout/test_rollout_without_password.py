"""provision.yml and enroll.yml on an inventory that holds no root password at all (no
``lab_root_password``, no ``fleet2fa_vault_root_password``, no ``fleet2fa_root_password``): they prove
no login, so they run; activate.yml proves one and refuses up front, naming the variable, before it
changes anything."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import pytest
import yaml

from rollout_support import Escrow, install_collection, recap, venv_tool

VAULT_PASSWORD = "no root password run vault"
PASSWORD_VARS = ("lab_root_password", "fleet2fa_vault_root_password", "fleet2fa_root_password")


def without_passwords(node):
    if isinstance(node, dict):
        return {k: without_passwords(v) for k, v in node.items() if k not in PASSWORD_VARS}
    return node


class Run:
    def __init__(self, lab, work, collections):
        self.lab, self.work = lab, work
        self.inventory = os.path.join(work, "inventory.yml")
        with open(lab.inventory, encoding="utf-8") as fh:
            inventory = yaml.safe_load(fh)
        with open(self.inventory, "w", encoding="utf-8") as fh:
            yaml.safe_dump(without_passwords(inventory), fh)
        self.vault = os.path.join(work, "vault-password")
        with open(self.vault, "w", encoding="utf-8") as fh:
            fh.write(VAULT_PASSWORD + "\n")
        self.escrow = Escrow(os.path.join(work, "escrow"), VAULT_PASSWORD)
        self.qr_dir = os.path.join(work, "qr")
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, PYTHONPATH="", ANSIBLE_NOCOLOR="1",
                        ANSIBLE_FORKS="5", ANSIBLE_DEPRECATION_WARNINGS="False")
        for name in PASSWORD_VARS:
            self.env.pop(name, None)

    def play(self, name, *extra):
        return subprocess.run([venv_tool("ansible-playbook"), "-i", self.inventory, "fleet2fa.nas." + name,
                               "--vault-password-file", self.vault, "-e", "fleet2fa_escrow_dir=" + self.escrow.folder,
                               "-e", "fleet2fa_qr_dir=" + self.qr_dir,
                               "-e", "fleet2fa_report_dir=" + os.path.join(self.work, "report"), *extra],
                              capture_output=True, text=True, env=self.env, check=False)


def assert_refused_for_the_password(run, res):
    """Every host failed its first task, naming the variable, with nothing changed."""
    assert res.returncode != 0
    counts = recap(res.stdout)
    assert set(counts) == {h.name for h in run.lab.hosts}
    assert all(c["failed"] == 1 and c["changed"] == 0 for c in counts.values()), counts
    assert res.stdout.count("fleet2fa_root_password is not set") >= len(run.lab.hosts)
    assert "is undefined" not in res.stdout + res.stderr


@pytest.fixture(scope="module")
def run(make_lab):
    work = tempfile.mkdtemp(prefix="fleet2fa-nopw-")
    collections = install_collection(work)
    lab = make_lab(linux=1, truenas=["25.10", "26.0"])
    yield Run(lab, work, collections)
    shutil.rmtree(work, ignore_errors=True)


def test_the_inventory_of_these_runs_holds_no_root_password(run):
    with open(run.inventory, encoding="utf-8") as fh:
        text = fh.read()
    assert not any(name in text for name in PASSWORD_VARS)
    assert run.lab.root_password not in text


def test_provision_runs_without_a_root_password_and_escrows_every_host(run):
    res = run.play("provision.yml")
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-3000:]
    assert "is undefined" not in res.stdout + res.stderr
    assert run.escrow.hosts() == sorted(h.name for h in run.lab.hosts)
    assert all(run.escrow.entry(h.name)["secret"] for h in run.lab.hosts)
    assert all(os.path.isfile(os.path.join(run.qr_dir, h.name, "root.png")) for h in run.lab.hosts)


def test_enroll_runs_without_a_root_password_and_records_both_devices(run):
    res = run.play("enroll.yml", "-e", "fleet2fa_enroll_from_escrow=true")
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-3000:]
    for host in run.lab.hosts:
        devices = run.escrow.entry(host.name)["devices"]
        assert [d["name"] for d in devices if d["verified"]] == ["primary", "backup"], (host.name, devices)


def test_activate_without_a_root_password_refuses_naming_the_variable_and_changes_nothing(run):
    res = run.play("activate.yml")
    assert_refused_for_the_password(run, res)
    assert all("last_proven_login" not in run.escrow.entry(h.name) for h in run.lab.hosts)


def test_activate_with_the_password_proves_every_host_without_waiting_for_a_time_step(run):
    # 25.10: API and SSH proofs may share a step (pyotp keeps no replay state); 26: the API takes the
    # step before now and SSH the current one (one pam_oath replay state); Linux: one proof, a free step.
    res = run.play("activate.yml", "-v", "-e", "fleet2fa_vault_root_password=" + run.lab.root_password)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-3000:]
    assert all(c["failed"] == 0 for c in recap(res.stdout).values())
    waits = re.findall(r'"waited_for_next_step": (true|false)', res.stdout)
    # lin01: sshd_otp's proof; each TrueNAS box: the API proof and the SSH proof.
    assert len(waits) == 1 + 2 * len(run.lab.group("truenas")), waits
    assert set(waits) == {"false"}
    for host in run.lab.group("truenas"):
        assert run.escrow.entry(host.name)["last_otp_step"] > 0


def test_disable_without_a_root_password_refuses_before_any_change(run):
    # disable proves that the password alone gets in: with no password it must not turn the OTP off
    # first and fail after, leaving hosts it cannot prove.
    res = run.play("disable.yml")
    assert_refused_for_the_password(run, res)
    assert "Nothing was changed" in res.stdout
