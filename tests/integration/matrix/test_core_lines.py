"""The older ansible-core lines of the supported matrix (2.19 on Python 3.11, 2.20 on 3.12) run a
whole rollout as a user would: rollout.yml, a re-run that changes nothing, real password + code
logins, disable.yml, and no code asked afterwards. Each line's own ansible-playbook (its venv from
FLEET2FA_MATRIX_VENVS, which `make test` sets) on a small lab of its own: one Linux host and one
TrueNAS box. The newest line runs the whole lab suite itself.

The lines run side by side (their runs mostly wait on the proofs' time steps); the tests then read
what each line's run gave.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from fleet_lab import TOP

sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import login_check  # noqa: E402  pylint: disable=wrong-import-position

VENVS = os.environ.get("FLEET2FA_MATRIX_VENVS", "").split()
# One TrueNAS profile a line, a different one each (the 20-host fleet test has them all).
TRUENAS = {"2.19": "25.10", "2.20": "24.10"}
VAULT_PASSWORD = "matrix vault password"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

pytestmark = pytest.mark.skipif(not VENVS, reason="no older ansible-core line asked (FLEET2FA_MATRIX=newest)")


def core_of(venv):
    out = subprocess.run([os.path.join(venv, "bin", "ansible-playbook"), "--version"], capture_output=True,
                         text=True, check=True).stdout
    return re.match(r"ansible-playbook \[core (\d+\.\d+)\.\d+", out).group(1), out.splitlines()[0]


def recap(output):
    tail = output[output.rfind("PLAY RECAP"):]
    return {m.group(1): {"changed": int(m.group(2)), "unreachable": int(m.group(3)), "failed": int(m.group(4))}
            for m in RECAP.finditer(tail)}


class LineRun:
    """One ansible-core line's rollout, re-run, logins, disable and logins again on its own lab."""

    def __init__(self, venv, lab, work):
        self.venv, self.lab, self.work = venv, lab, work
        self.line, self.version = core_of(venv)
        self.vault_file = os.path.join(work, "vault-password")
        with open(self.vault_file, "w", encoding="utf-8") as fh:
            fh.write(VAULT_PASSWORD + "\n")
        self.steps = {}

    def play(self, name):
        cmd = [os.path.join(self.venv, "bin", "ansible-playbook"), "-i", self.lab.inventory,
               "fleet2fa.nas." + name, "--vault-password-file", self.vault_file,
               "-e", "fleet2fa_escrow_dir=" + os.path.join(self.work, "escrow"),
               "-e", "fleet2fa_qr_dir=" + os.path.join(self.work, "qr"),
               "-e", "fleet2fa_report_dir=" + os.path.join(self.work, "report"),
               "-e", "fleet2fa_enroll_from_escrow=true"]
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PYTHONPATH="",
                   PATH=os.path.join(self.venv, "bin") + ":" + os.environ["PATH"])
        return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)

    def entry(self, host):
        vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
        with open(os.path.join(self.work, "escrow", host + ".yml"), "rb") as fh:
            return yaml.safe_load(vault.decrypt(fh.read()))["users"]["root"]

    def logins(self):
        def one(host):
            entry = self.entry(host.name)
            return login_check.run_checks({"host": host.address, "password": host.root_password,
                                           "secret": entry["secret"], "digits": entry["digits"],
                                           "interval": entry["interval"]})
        with concurrent.futures.ThreadPoolExecutor(len(self.lab.hosts)) as pool:
            return dict(zip([h.name for h in self.lab.hosts], pool.map(one, self.lab.hosts)))

    def after_disable(self):
        """{host: (the password alone gets in, a code was asked)}: where sshd still offers
        keyboard-interactive, it must not ask for a code any more."""
        seen = {}
        for host in self.lab.hosts:
            asked = login_check.login(host.address, "root", host.root_password, code="000000")
            alone = login_check.login(host.address, "root", host.root_password, method="password")
            seen[host.name] = (alone.ok, "otp" in asked.prompts)
        return seen

    def run(self):
        """Each step runs only when the one before it went well; the tests say which did not."""
        steps = self.steps
        steps["rollout"] = self.play("rollout")
        if steps["rollout"].returncode != 0:
            return self
        steps["rerun"] = self.play("rollout")
        # The proofs of the runs used the codes of their time steps: log in with the next step's.
        steps["logins"] = self.logins()
        steps["disable"] = self.play("disable")
        if steps["disable"].returncode == 0:
            steps["after_disable"] = self.after_disable()
        return self


@pytest.fixture(scope="module")
def lines(make_lab):
    work = tempfile.mkdtemp(prefix="fleet2fa-matrix-")
    runs = []
    for venv in VENVS:
        line, _version = core_of(venv)
        lab = make_lab(linux=1, truenas=[TRUENAS.get(line, "25.10")])
        folder = os.path.join(work, line)
        os.makedirs(folder, mode=0o700)
        runs.append(LineRun(venv, lab, folder))
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        done = {run.line: run for run in pool.map(LineRun.run, runs)}
    print("older lines %s: whole run in %.0f s" % (", ".join(sorted(done)), time.monotonic() - start))
    yield done
    subprocess.run(["rm", "-rf", work], check=False)


def line_ids():
    return [core_of(v)[0] for v in VENVS] if VENVS else ["none"]


def step(lines, line, name):
    run = lines[line]
    if name not in run.steps:
        pytest.fail("ansible-core %s: step %s did not run (an earlier step failed)" % (line, name))
    result = run.steps[name]
    if isinstance(result, subprocess.CompletedProcess):
        assert result.returncode == 0, "%s\n%s%s" % (run.version, result.stdout[-5000:], result.stderr[-3000:])
    return result


@pytest.mark.parametrize("line", line_ids())
def test_the_older_line_runs_with_its_own_ansible_core_and_python(lines, line):
    assert line in ("2.19", "2.20")
    assert lines[line].version.startswith("ansible-playbook [core %s." % line)


@pytest.mark.parametrize("line", line_ids())
def test_rollout_succeeds_on_every_host(lines, line):
    run = step(lines, line, "rollout")
    seen = recap(run.stdout)
    hosts = [h.name for h in lines[line].lab.hosts]
    assert {h: (seen[h]["failed"], seen[h]["unreachable"]) for h in hosts} == dict.fromkeys(hosts, (0, 0))
    assert all(seen[h]["changed"] > 0 for h in hosts)


@pytest.mark.parametrize("line", line_ids())
def test_a_second_rollout_changes_nothing(lines, line):
    seen = recap(step(lines, line, "rerun").stdout)
    assert seen and {h: c["changed"] for h, c in seen.items()} == dict.fromkeys(seen, 0)


@pytest.mark.parametrize("line", line_ids())
def test_password_and_code_get_in_and_a_wrong_code_does_not(lines, line):
    logins = step(lines, line, "logins")
    assert logins == {h.name: {"wrong_code": False, "right_code": True} for h in lines[line].lab.hosts}


@pytest.mark.parametrize("line", line_ids())
def test_after_disable_no_code_is_asked_and_the_password_gets_in(lines, line):
    step(lines, line, "disable")
    assert step(lines, line, "after_disable") == {h.name: (True, False) for h in lines[line].lab.hosts}
