"""rollout.yml when part of the batch goes wrong: a host whose sshd cannot reload or restart (a
systemd drop-in the module's sshd -t cannot see) and a host that loses power mid-run. The rest of
the batch completes; the broken host is left byte for byte as it was and still answers by key; the
lost one got nothing half-done; the run report names both."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time

import pytest

from rollout_support import HERE, TOP, Escrow, login, on_every_host, recap, totp_for, wait_for_a_fresh_step, wrong_code

VAULT_PASSWORD = "fault run vault password"
BROKEN, LOST = "lin02", "lin04"
# Files the rollout may touch on a Linux host; printed as "sha256  path" (or absent) by the host itself.
WATCHED = "/etc/ssh /etc/pam.d /etc/users.oath /var/lib/fleet2fa /etc/systemd/system/ssh.service.d"
SNAPSHOT = ("for p in %s; do [ -e $p ] || echo \"absent $p\"; done; "
            "find %s -type f 2>/dev/null | sort | xargs -r sha256sum" % (WATCHED, WATCHED))
BREAK_SSHD = (
    "mkdir -p /etc/systemd/system/ssh.service.d && printf '%s' > /etc/systemd/system/ssh.service.d/broken.conf"
    " && systemctl daemon-reload" % "[Service]\\nExecStartPre=/bin/false\\nExecReload=\\nExecReload=/bin/false\\n")


def host_files(lab, name):
    res = lab.ansible(name, "ansible.builtin.shell", SNAPSHOT)[name]
    assert res.get("rc") == 0, res
    return res["stdout"]


@pytest.fixture(scope="module")
def fault_run(make_lab):
    lab = make_lab(linux=4, truenas=["24.10", "26.0"])
    work = tempfile.mkdtemp(prefix="fleet2fa-faults-")
    vault = os.path.join(work, "vault-password")
    with open(vault, "w", encoding="utf-8") as fh:
        fh.write(VAULT_PASSWORD + "\n")
    broke = lab.ansible(BROKEN, "ansible.builtin.shell", BREAK_SSHD)[BROKEN]
    assert broke.get("rc") == 0, broke
    before = host_files(lab, BROKEN)
    mark = os.path.join(work, "lost-at")
    env = {
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(TOP, "tests", "output", "collections"),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "lose_host",
        "FLEET2FA_LOSE_LAB": lab.name, "FLEET2FA_LOSE_HOST": LOST, "FLEET2FA_LOSE_MARK": mark,
        # Provisioned and enrolled, then lost as activation begins.
        "FLEET2FA_LOSE_AT": "Activate | Linux",
    }
    run = lab.run_playbook(os.path.join(TOP, "playbooks", "rollout.yml"), "--vault-password-file", vault,
                           "-e", "fleet2fa_escrow_dir=%s/escrow" % work, "-e", "fleet2fa_qr_dir=%s/qr" % work,
                           "-e", "fleet2fa_report_dir=%s/report" % work, "-e", "fleet2fa_enroll_from_escrow=true",
                           env=env)
    ended = time.time()
    run_report = os.path.join(work, "report", "rollout-run.json")
    assert os.path.isfile(run_report), "the rollout wrote no run report:\n%s\n%s" % (run.stdout[-6000:], run.stderr[-3000:])
    with open(run_report, encoding="utf-8") as fh:
        report = json.load(fh)
    yield {"lab": lab, "work": work, "run": run, "before": before, "report": report, "ended": ended,
           "escrow": Escrow(os.path.join(work, "escrow"), VAULT_PASSWORD), "mark": mark}
    shutil.rmtree(work, ignore_errors=True)


def test_the_host_was_lost_when_activation_began(fault_run):
    with open(fault_run["mark"], encoding="utf-8") as fh:
        assert "Activate | Linux" in fh.read()


def test_recap_fails_the_broken_host_loses_the_lost_one_and_completes_the_rest(fault_run):
    run = fault_run["run"]
    seen = recap(run.stdout)
    assert run.returncode != 0
    assert seen[BROKEN]["failed"] == 1 and seen[BROKEN]["rescued"] == 1, run.stdout[-5000:]
    assert seen[LOST]["unreachable"] == 1, run.stdout[-5000:]
    for host in fault_run["lab"].hosts:
        if host.name not in (BROKEN, LOST):
            assert seen[host.name]["failed"] == 0 and seen[host.name]["unreachable"] == 0, (host.name, run.stdout[-5000:])


def test_run_report_lists_the_failed_and_the_lost_host(fault_run):
    report = fault_run["report"]
    assert set(report) == {h.name for h in fault_run["lab"].hosts}
    assert report[BROKEN]["status"] == "failed"
    assert "Activate" in report[BROKEN]["step"]
    assert "reload" in report[BROKEN]["reason"] and "restored" in report[BROKEN]["reason"]
    assert report[BROKEN]["rolled_back"] is True
    assert report[LOST]["status"] == "unreachable"
    assert all(report[h.name] == {"status": "ok"} for h in fault_run["lab"].hosts if h.name not in (BROKEN, LOST))


def test_broken_sshd_host_is_byte_for_byte_as_before_and_answers_by_key(fault_run):
    lab = fault_run["lab"]
    assert host_files(lab, BROKEN) == fault_run["before"]  # the key login itself works, or this fails
    entry = fault_run["escrow"].entry(BROKEN)
    wait_for_a_fresh_step(fault_run["ended"], entry["interval"])
    assert not login(lab.host(BROKEN).address, "root", lab.root_password, totp_for(entry).now())


def test_lost_host_got_nothing_half_done(fault_run):
    # The host is gone; its overlay upper dir holds every file it ever wrote.
    upper = os.path.join(fault_run["lab"].state_dir, "hosts", LOST, "upper")
    assert os.path.isdir(os.path.join(upper, "etc"))
    for path in ("etc/users.oath", "etc/ssh/sshd_config.d/00-fleet2fa-otp.conf", "etc/pam.d/sshd"):
        assert not os.path.exists(os.path.join(upper, path)), path
    # Provisioned before it was lost: its secret is escrowed for the next run.
    assert fault_run["escrow"].entry(LOST)["secret"]


def test_the_rest_of_the_batch_takes_password_and_code(fault_run):
    lab, escrow = fault_run["lab"], fault_run["escrow"]
    rest = [h for h in lab.hosts if h.name not in (BROKEN, LOST)]
    wait_for_a_fresh_step(fault_run["ended"])

    def logins(host):
        entry = escrow.entry(host.name)
        return (login(host.address, "root", lab.root_password, wrong_code(entry)),
                login(host.address, "root", lab.root_password, totp_for(entry).now()))

    assert on_every_host(rest, logins) == {h.name: (False, True) for h in rest}
