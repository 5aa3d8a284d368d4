"""rotate.yml on one Linux lab host, the escrow following the host: a rotation whose login proof fails
(a wrong verify password) is rolled back on the host and leaves the escrow entry and the QR files byte
for byte as they were, the old code still logging in; a good rotation swaps both; a re-run of the
rollout then changes nothing."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import tempfile
import time

import pytest

from rollout_support import TOP, Escrow, login, recap, totp_for, wait_for_a_fresh_step

VAULT_PASSWORD = "rotation run vault password"
HOST = "lin01"


def folder_hashes(folder):
    """{relative path: sha256} of every file under ``folder`` (lock files aside: they hold nothing)."""
    out = {}
    for path in glob.glob(os.path.join(folder, "**"), recursive=True) + glob.glob(os.path.join(folder, ".staged", "*")):
        if os.path.isfile(path) and not path.endswith(".lock"):
            with open(path, "rb") as fh:
                out[os.path.relpath(path, folder)] = hashlib.sha256(fh.read()).hexdigest()
    return out


@pytest.fixture(scope="module")
def rotation_lab(make_lab):
    lab = make_lab(linux=1)
    work = tempfile.mkdtemp(prefix="fleet2fa-rotation-")
    vault = os.path.join(work, "vault-password")
    with open(vault, "w", encoding="utf-8") as fh:
        fh.write(VAULT_PASSWORD + "\n")
    folders = ["-e", "fleet2fa_escrow_dir=%s/escrow" % work, "-e", "fleet2fa_qr_dir=%s/qr" % work,
               "-e", "fleet2fa_report_dir=%s/report" % work, "-e", "fleet2fa_enroll_from_escrow=true"]

    def play(name, *extra):
        run = lab.run_playbook(os.path.join(TOP, "playbooks", name + ".yml"), "--vault-password-file", vault,
                               *folders, *extra)
        return run, time.time()

    first, ended = play("rollout")
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]
    state = {"lab": lab, "work": work, "play": play, "ended": ended,
             "escrow": Escrow(os.path.join(work, "escrow"), VAULT_PASSWORD)}
    yield state
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def failed_rotation(rotation_lab):
    escrow_dir, qr_dir = (os.path.join(rotation_lab["work"], name) for name in ("escrow", "qr"))
    before = {"escrow": folder_hashes(escrow_dir), "qr": folder_hashes(qr_dir), "entry": rotation_lab["escrow"].entry(HOST)}
    run, ended = rotation_lab["play"]("rotate", "-e", "fleet2fa_root_password=not-the-root-password")
    after = {"escrow": folder_hashes(escrow_dir), "qr": folder_hashes(qr_dir)}
    rotation_lab["ended"] = ended
    return {"run": run, "before": before, "after": after}


def test_a_rotation_whose_proof_fails_fails_the_host_saying_the_escrow_is_as_before(failed_rotation):
    run = failed_rotation["run"]
    assert run.returncode != 0
    seen = recap(run.stdout)
    assert seen[HOST]["failed"] == 1 and seen[HOST]["rescued"] == 1, run.stdout[-5000:]
    assert "login proof failed" in run.stdout and "rolled back" in run.stdout, run.stdout[-5000:]
    assert "the escrow and the QR files are as before" in run.stdout, run.stdout[-5000:]


def test_a_rotation_whose_proof_fails_leaves_escrow_and_qr_files_byte_for_byte(failed_rotation):
    before, after = failed_rotation["before"], failed_rotation["after"]
    assert after["escrow"] == before["escrow"]  # no staged copy left either
    assert after["qr"] == before["qr"] and len(after["qr"]) == 2


def test_after_a_failed_rotation_the_escrowed_code_still_logs_in(rotation_lab, failed_rotation):
    host = rotation_lab["lab"].host(HOST)
    entry = failed_rotation["before"]["entry"]
    # The failed proof sent a code of the staged key; the old key's last code on the host is the rollout's.
    if entry.get("last_otp_step"):
        wait_for_a_fresh_step(entry["last_otp_step"] * entry["interval"], entry["interval"])
    else:
        wait_for_a_fresh_step(rotation_lab["ended"])
    old = totp_for(entry)
    assert login(host.address, "root", rotation_lab["lab"].root_password, old.now())


def test_a_good_rotation_swaps_escrow_and_qr_files_and_the_new_code_logs_in(rotation_lab, failed_rotation):
    escrow_dir, qr_dir = (os.path.join(rotation_lab["work"], name) for name in ("escrow", "qr"))
    old_entry, old_qr = rotation_lab["escrow"].entry(HOST), folder_hashes(qr_dir)
    run, ended = rotation_lab["play"]("rotate")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    new_entry = rotation_lab["escrow"].entry(HOST)
    assert new_entry["fingerprint"] != old_entry["fingerprint"] and new_entry["rotated"]
    new_qr = folder_hashes(qr_dir)
    assert set(new_qr) == set(old_qr) and all(new_qr[p] != old_qr[p] for p in new_qr)
    assert not glob.glob(os.path.join(escrow_dir, ".staged", "*.yml"))
    host = rotation_lab["lab"].host(HOST)
    wait_for_a_fresh_step(ended)
    assert not login(host.address, "root", rotation_lab["lab"].root_password, totp_for(old_entry).now())
    assert login(host.address, "root", rotation_lab["lab"].root_password, totp_for(new_entry).now())
    rotation_lab["ended"] = time.time()


def test_a_rollout_after_the_rotation_changes_nothing(rotation_lab, failed_rotation):
    rotated = rotation_lab["escrow"].entry(HOST)["fingerprint"]
    run, dummy = rotation_lab["play"]("rollout")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert recap(run.stdout)[HOST]["changed"] == 0, run.stdout[-5000:]
    assert rotation_lab["escrow"].entry(HOST)["fingerprint"] == rotated
