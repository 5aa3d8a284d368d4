"""The playbooks of the installed collection on a 7-host mixed lab (4 Linux hosts and a TrueNAS box of
each era), as a user runs them: rollout.yml, a second run that changes nothing, rotate.yml
on one host, disable.yml. Every claim is checked by real logins from a client of our own, with codes
computed from the escrow as ``ansible-vault view`` shows it."""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import pytest

from rollout_support import (
    Escrow,
    install_collection,
    login,
    on_every_host,
    recap,
    totp_for,
    wait_for_a_fresh_step,
    wrong_code,
)

VAULT_PASSWORD = "fleet run vault password"
# One box an era: the global secret (CORE), public per-user secrets (24.10), login_ex and pam_oath's replay check (26);
# test_truenas_rollout.py runs every profile over both transports.
TRUENAS = ["13.0", "24.10", "26.0"]
ROTATED = "lin03"


class Fleet:
    def __init__(self, lab, work, collections):
        self.lab, self.work = lab, work
        self.env = {"ANSIBLE_COLLECTIONS_PATH": collections, "PYTHONPATH": ""}
        self.vault = os.path.join(work, "vault-password")
        with open(self.vault, "w", encoding="utf-8") as fh:
            fh.write(VAULT_PASSWORD + "\n")
        self.escrow = Escrow(os.path.join(work, "escrow"), VAULT_PASSWORD)
        self.qr_dir = os.path.join(work, "qr")
        self.last_run_ended = time.time()

    def play(self, name, *extra):
        run = self.lab.run_playbook(
            "fleet2fa.nas." + name, "--vault-password-file", self.vault,
            "-e", "fleet2fa_escrow_dir=" + self.escrow.folder, "-e", "fleet2fa_qr_dir=" + self.qr_dir,
            "-e", "fleet2fa_report_dir=" + os.path.join(self.work, "report"), "-e", "fleet2fa_enroll_from_escrow=true",
            *extra, env=self.env)
        self.last_run_ended = time.time()
        return run


def ok(run):
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    return run


def otp_logins(fleet, hosts):
    """{host: (wrong code let in, password + current code let in)} after the codes of the runs are spent."""
    wait_for_a_fresh_step(fleet.last_run_ended)

    def attempt(host):
        entry = fleet.escrow.entry(host.name)
        password = fleet.lab.root_password
        return (login(host.address, "root", password, wrong_code(entry)),
                login(host.address, "root", password, totp_for(entry).now()))
    return on_every_host(hosts, attempt)


def qr_mtimes(folder):
    return {os.path.join(d, n): os.stat(os.path.join(d, n)).st_mtime_ns
            for d, _dirs, names in os.walk(folder) for n in names}


@pytest.fixture(scope="module")
def fleet(make_lab):
    work = tempfile.mkdtemp(prefix="fleet2fa-fleet-")
    collections = install_collection(work)
    # The lab's Linux hosts share one image: four are enough for a batch with rotate's one host apart
    # (the 13 + 7 fleet of docs/performance.md is the bench's, tests/bench/rollout.sh).
    lab = make_lab(linux=4, truenas=TRUENAS)
    assert len(lab.hosts) == 7
    yield Fleet(lab, work, collections)
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def first_run(fleet):
    # At -vvvv: the run where every secret is made, sealed, escrowed, handed to sshd_otp and proven.
    return fleet.play("rollout", "-vvvv")


@pytest.fixture(scope="module")
def leak_forms(fleet, first_run):
    ok(first_run)
    return fleet.escrow.leak_forms()


def test_rollout_from_the_installed_collection_succeeds_on_every_host(fleet, first_run):
    ok(first_run)
    seen = recap(first_run.stdout)
    for host in fleet.lab.hosts:
        assert seen[host.name]["failed"] == 0 and seen[host.name]["unreachable"] == 0, host.name
        assert seen[host.name]["changed"] > 0, host.name
    assert fleet.escrow.hosts() == sorted(h.name for h in fleet.lab.hosts)


def test_first_run_at_vvvv_prints_no_escrowed_secret(first_run, leak_forms):
    output = first_run.stdout + first_run.stderr
    assert "ESTABLISH SSH CONNECTION" in output  # it really ran at -vvvv
    assert [form for form in leak_forms if form in output] == []


def test_second_run_reports_no_change(fleet, first_run):
    ok(first_run)
    run = ok(fleet.play("rollout"))
    seen = recap(run.stdout)
    assert set(seen) >= {h.name for h in fleet.lab.hosts}
    assert {host: counts["changed"] for host, counts in seen.items()} == dict.fromkeys(seen, 0), run.stdout[-4000:]


def test_every_host_takes_password_and_code_and_refuses_a_wrong_code(fleet, first_run):
    ok(first_run)
    assert otp_logins(fleet, fleet.lab.hosts) == {h.name: (False, True) for h in fleet.lab.hosts}


def test_rotate_changes_one_users_secret_on_one_host_and_nothing_else(fleet, first_run, leak_forms):
    ok(first_run)
    before, qr_before = fleet.escrow.everything(), qr_mtimes(fleet.qr_dir)
    run = ok(fleet.play("rotate", "--limit", ROTATED, "-e", '{"fleet2fa_rotate_users": ["root"]}', "-vvvv"))
    after = fleet.escrow.everything()
    assert set(after) == set(before)
    changed = sorted(key for key in before if before[key]["fingerprint"] != after[key]["fingerprint"])
    assert changed == [(ROTATED, "root")]
    assert before[(ROTATED, "root")]["secret"] != after[(ROTATED, "root")]["secret"]
    assert all(before[k]["secret"] == after[k]["secret"] for k in before if k != (ROTATED, "root"))
    qr_after = qr_mtimes(fleet.qr_dir)
    assert sorted(p for p in qr_after if qr_after[p] != qr_before.get(p)) == sorted(
        os.path.join(fleet.qr_dir, ROTATED, "root" + ext) for ext in (".png", ".svg"))
    output = run.stdout + run.stderr
    assert [form for form in fleet.escrow.leak_forms() | leak_forms if form in output] == []
    # The host takes the new secret's code, not the old one's.
    host = fleet.lab.host(ROTATED)
    wait_for_a_fresh_step(fleet.last_run_ended)
    old, new = totp_for(before[(ROTATED, "root")]), totp_for(after[(ROTATED, "root")])
    assert not login(host.address, "root", fleet.lab.root_password, old.now())
    assert login(host.address, "root", fleet.lab.root_password, new.now())


def test_disable_lets_the_password_alone_in_on_every_host(fleet, first_run):
    ok(first_run)
    escrowed = fleet.escrow.everything()
    ok(fleet.play("disable"))
    hosts = fleet.lab.hosts

    def password_alone(host):
        prompts = []
        # Where sshd still offers keyboard-interactive, it must not ask for a code any more.
        login(host.address, "root", fleet.lab.root_password, code="000000", prompts_seen=prompts)
        return login(host.address, "root", fleet.lab.root_password, method="password"), "otp" in prompts
    assert on_every_host(hosts, password_alone) == {h.name: (True, False) for h in hosts}
    assert fleet.escrow.everything() == escrowed  # break glass keeps the escrow
