"""The fault matrix: rollout.yml while something goes wrong on one host each, and the run after the
fault is taken away. test_rollout_faults.py has the two faults of a batch (sshd that cannot reload,
a host that loses power as activation begins); this file has the rest:

=============  ==========================================================  =====================
host           fault                                                       when
=============  ==========================================================  =====================
lin01          none (the control: the batch goes on around the others)
lin02          ``sshd -t`` fails (a typo in another drop-in)               before the run
lin03          pam_oath missing (its .so moved away)                       before the run
lin04          network lost (the cable is cut)                             mid-activation
lin05          sshd killed (and kept down)                                 mid-activation
lin06          clock 10 minutes ahead (as the host's Python reads it)      before the run
lin07          ansible-playbook SIGKILLed                                  mid-activation
lin08          two rollouts at once, one escrow                            the whole run
tn2510-1       network lost in the middle of a middleware call (ssh.update,  mid-activation
               its answer never leaves the box)
=============  ==========================================================  =====================

"Mid-activation" is the moment the host's sshd drop-in appears (watched from outside through
/proc/<host init>/root), or, on the TrueNAS box, the moment the simulator ran the call.

Every host must end the same way: Ansible's key still works, and either the host is byte for byte
as before or password + the escrowed secret's code logs in (and a wrong code does not). Then the
faults are taken away and one more rollout of the whole lab converges: it passes on every host and
every host takes password + code.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from rollout_support import TOP, Escrow, login, on_every_host, recap, totp_for, venv_tool, wait_for_a_fresh_step, wrong_code

from fleetlib import faults, procs  # tests/lab, on the path through rollout_support

VAULT_PASSWORD = "fault matrix vault password"
CONTROL, SSHD_T, NO_PAM_OATH, NET_LOST, SSHD_KILLED, SKEWED, RUN_KILLED, TWICE = (
    "lin01", "lin02", "lin03", "lin04", "lin05", "lin06", "lin07", "lin08")
BOX = "tn2510-1"
DROPIN = "/etc/ssh/sshd_config.d/00-fleet2fa-otp.conf"
PAM_OATH = "/lib/x86_64-linux-gnu/security/pam_oath.so"
WATCHED = "/etc/ssh /etc/pam.d /etc/users.oath /var/lib/fleet2fa"
SNAPSHOT = ("for p in %s; do [ -e $p ] || echo \"absent $p\"; done; "
            "find %s -type f 2>/dev/null | sort | xargs -r sha256sum" % (WATCHED, WATCHED))
# A second drop-in with a typo: the running sshd read its config before, `sshd -t` refuses it now.
TYPO = "/etc/ssh/sshd_config.d/50-typo.conf"
# The host's Python sees its clock 600 s ahead (the kernel clock is shared with the controller, so
# the skew is put where the preflight reads the host's time: the module's interpreter).
SKEW_INTERPRETER = "/usr/local/bin/python3-ahead"
SKEW_SETUP = """
mkdir -p /opt/clock-ahead
printf 'import time\\n_real = time.time\\ntime.time = lambda: _real() + 600\\n' > /opt/clock-ahead/sitecustomize.py
printf '#!/bin/sh\\nPYTHONPATH=/opt/clock-ahead exec /usr/bin/python3 "$@"\\n' > %s
chmod 755 %s
""" % (SKEW_INTERPRETER, SKEW_INTERPRETER)


def shell(lab, host, script):
    res = lab.ansible(host, "ansible.builtin.shell", script)[host]
    assert res.get("rc") == 0, res
    return res["stdout"]


def snapshots(lab, pattern):
    """{host: SNAPSHOT output} of every host of the pattern, in one ad-hoc run."""
    found = lab.ansible(pattern, "ansible.builtin.shell", SNAPSHOT)
    assert all(res.get("rc") == 0 for res in found.values()), found
    return {host: res["stdout"] for host, res in found.items()}


def when_dropin_appears(lab, host, action, timeout=600):
    """A thread that runs ``action()`` the moment the host's sshd drop-in is there; its ``fired``
    event is set then."""
    path = "/proc/%d/root%s" % (procs.init_pid(lab.name, host), DROPIN)
    fired = threading.Event()

    def watch():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(path):
                action()
                fired.set()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.fired = fired
    thread.start()
    return thread


def either_as_before_or_proven(lab, escrow, host, before, after, ended):
    """'as before' or 'proven' for a Linux host, after its fault is gone; AssertionError otherwise."""
    if after == before:
        return "as before"
    entry = escrow.entry(host)
    wait_for_a_fresh_step(ended, entry["interval"])
    address = lab.host(host).address
    assert not login(address, "root", lab.root_password, wrong_code(entry)), host
    assert login(address, "root", lab.root_password, totp_for(entry).now()), host
    return "proven"


@pytest.fixture(scope="module")
def matrix(make_lab):
    lab = make_lab(linux=8, truenas=["25.10"])
    work = tempfile.mkdtemp(prefix="fleet2fa-fault-matrix-")
    vault = os.path.join(work, "vault-password")
    with open(vault, "w", encoding="utf-8") as fh:
        fh.write(VAULT_PASSWORD + "\n")
    overlay = os.path.join(work, "clock-ahead.yml")
    with open(overlay, "w", encoding="utf-8") as fh:
        json.dump({"all": {"hosts": {SKEWED: {"ansible_python_interpreter": SKEW_INTERPRETER}}}}, fh)
    run_args = ["--vault-password-file", vault, "-e", "fleet2fa_escrow_dir=%s/escrow" % work,
                "-e", "fleet2fa_qr_dir=%s/qr" % work, "-e", "fleet2fa_report_dir=%s/report" % work,
                "-e", "fleet2fa_enroll_from_escrow=true", "-e", "fleet2fa_max_fail_percentage=100"]
    rollout = os.path.join(TOP, "playbooks", "rollout.yml")

    before = snapshots(lab, "linux")
    shell(lab, SSHD_T, "printf 'PermitRootLogn yes\\n' > %s" % TYPO)
    shell(lab, NO_PAM_OATH, "mv %s /root/pam_oath.so.away" % PAM_OATH)
    shell(lab, SKEWED, SKEW_SETUP)

    # The batch: every fault but the two that need runs of their own.
    watchers = {NET_LOST: when_dropin_appears(lab, NET_LOST, lambda: faults.cut_network(lab.name, NET_LOST)),
                SSHD_KILLED: when_dropin_appears(lab, SSHD_KILLED, lambda: faults.kill_sshd(lab.name, SSHD_KILLED))}
    box_cut = faults.lose_network_after(lab.name, BOX, "ssh.update")
    batch = lab.run_playbook(rollout, "-i", overlay, "--limit", "all:!%s:!%s" % (RUN_KILLED, TWICE), *run_args)
    batch_ended = time.time()
    box_cut.join(1)

    # ansible-playbook SIGKILLed the moment the drop-in is there.
    killed = subprocess.Popen([venv_tool("ansible-playbook"), "-i", lab.inventory, rollout, "--limit", RUN_KILLED, *run_args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=lab._env(), start_new_session=True)
    sigkill = when_dropin_appears(lab, RUN_KILLED, lambda: os.killpg(killed.pid, signal.SIGKILL))
    killed_rc = killed.wait(timeout=600)
    killed_ended = time.time()

    # Two rollouts of one host at once, one escrow.
    twice = []
    threads = [threading.Thread(target=lambda: twice.append(lab.run_playbook(rollout, "--limit", TWICE, *run_args)))
               for _run in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    twice_ended = time.time()

    ends = {}
    escrow = Escrow(os.path.join(work, "escrow"), VAULT_PASSWORD)
    # The faults taken away, the hosts brought back; then how each host ended.
    faults.restore_network(lab.name, NET_LOST)
    faults.start_sshd(lab.name, SSHD_KILLED)
    faults.restore_network(lab.name, BOX)
    shell(lab, SSHD_T, "rm %s" % TYPO)
    shell(lab, NO_PAM_OATH, "mv /root/pam_oath.so.away %s" % PAM_OATH)
    answers = lab.ansible("all", "ansible.builtin.command", "true")
    keys = {h.name: answers[h.name].get("rc") == 0 and not answers[h.name].get("unreachable") for h in lab.hosts}
    after = snapshots(lab, "linux")
    for host, ended in ((NET_LOST, batch_ended), (SSHD_KILLED, batch_ended), (RUN_KILLED, killed_ended),
                        (TWICE, twice_ended), (SSHD_T, batch_ended), (NO_PAM_OATH, batch_ended), (SKEWED, batch_ended)):
        ends[host] = either_as_before_or_proven(lab, escrow, host, before[host], after[host], ended)

    rerun = lab.run_playbook(rollout, *run_args)
    rerun_ended = time.time()
    yield {"lab": lab, "work": work, "escrow": escrow, "before": before, "batch": batch, "watchers": watchers,
           "box_cut": box_cut, "killed_rc": killed_rc, "sigkill": sigkill, "twice": twice, "keys": keys,
           "ends": ends, "rerun": rerun, "rerun_ended": rerun_ended}
    shutil.rmtree(work, ignore_errors=True)


def test_every_fault_struck_where_and_when_it_was_meant_to(matrix):
    assert matrix["watchers"][NET_LOST].fired.is_set()
    assert matrix["watchers"][SSHD_KILLED].fired.is_set()
    assert not matrix["box_cut"].is_alive(), "the box never ran ssh.update"
    assert matrix["sigkill"].fired.is_set() and matrix["killed_rc"] == -signal.SIGKILL
    assert len(matrix["twice"]) == 2


def test_the_batch_fails_each_faulted_host_and_completes_the_control(matrix):
    batch = matrix["batch"]
    seen = recap(batch.stdout)
    assert batch.returncode != 0
    assert seen[CONTROL]["failed"] == 0 and seen[CONTROL]["unreachable"] == 0, batch.stdout[-5000:]
    for host in (SSHD_T, NO_PAM_OATH, SKEWED, SSHD_KILLED):
        assert seen[host]["failed"] == 1 or seen[host]["unreachable"] == 1, (host, batch.stdout[-5000:])
    assert seen[NET_LOST]["unreachable"] == 1, batch.stdout[-5000:]
    assert seen[BOX]["unreachable"] == 1 or seen[BOX]["failed"] == 1, batch.stdout[-5000:]


def test_hosts_refused_before_any_change_are_byte_for_byte_as_before(matrix):
    # Refused by the preflight or by sshd -t on the staged config: nothing was written.
    for host in (SSHD_T, NO_PAM_OATH, SKEWED):
        assert matrix["ends"][host] == "as before", host


def test_the_refusals_name_the_fault(matrix):
    out = matrix["batch"].stdout
    assert "sshd -t" in out and "PermitRootLogn" in out
    assert "pam_oath" in out
    assert "clock" in out and "ahead of" in out


def test_every_host_answers_by_key_once_its_fault_is_gone(matrix):
    assert matrix["keys"] == {h.name: True for h in matrix["lab"].hosts}


def test_hosts_hit_mid_activation_end_as_before_or_proven(matrix):
    # either_as_before_or_proven asserted one of the two for each; both are fine, nothing in between.
    for host in (NET_LOST, SSHD_KILLED, RUN_KILLED, TWICE):
        assert matrix["ends"][host] in ("as before", "proven"), host


def test_two_rollouts_at_once_leave_one_secret_that_host_and_escrow_share(matrix):
    runs = matrix["twice"]
    assert any(r.returncode == 0 for r in runs), [r.stdout[-3000:] for r in runs]
    assert matrix["ends"][TWICE] == "proven"


def test_the_run_after_the_faults_converges_on_every_host(matrix):
    rerun, lab, escrow = matrix["rerun"], matrix["lab"], matrix["escrow"]
    seen = recap(rerun.stdout)
    assert rerun.returncode == 0, rerun.stdout[-6000:]
    assert set(seen) - {"localhost"} == {h.name for h in lab.hosts}
    assert all(seen[h.name]["failed"] == 0 and seen[h.name]["unreachable"] == 0 for h in lab.hosts), rerun.stdout[-6000:]
    wait_for_a_fresh_step(matrix["rerun_ended"])

    def logins(host):
        entry = escrow.entry(host.name)
        return (login(host.address, "root", lab.root_password, wrong_code(entry)),
                login(host.address, "root", lab.root_password, totp_for(entry).now()))

    assert on_every_host(lab.hosts, logins) == {h.name: (False, True) for h in lab.hosts}
