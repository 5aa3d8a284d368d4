"""The playbooks as AWX / Automation Platform run a job: ``ansible-runner run`` on a private data
dir, and every artifact it leaves (the store AWX keeps in its database) holds no secret.

The private data dir is what AWX's job templates make of an inventory, extra vars, a vault
credential and a project:

- ``inventory/hosts.yml``: the lab's inventory (root by key, ``lab_root_password``);
- ``env/extravars``: the escrow, QR and report folders, the one-phase enrollment;
- ``env/cmdline``: ``--ask-vault-pass``, the way AWX hands a vault credential over: ansible-runner
  answers the prompt from ``env/passwords`` (a pattern and its answer), so the password is never on
  a command line, in a file the play reads, or in the environment;
- ``env/envvars``: the collection's path (this checkout's link, as ``make`` sets it);
- ``env/settings``: a JSON fact cache in the artifacts, as AWX keeps one;
- ``project/<playbook>.yml``: a project playbook a job template names, importing the collection's.

The jobs are provision, enroll (from the escrow, as in CI), activate and verify. After them, a real
login proves the jobs did their work; then every file under ``artifacts/`` (stdout, job_events,
fact_cache, command with its environment, status) and ``env/`` is searched for every escrowed
secret (base32 in any case and grouped, hex, base64, the otpauth URI), the root password, and the
codes of every time step from the first job's start to the last one's end, give or take two steps.
"""

from __future__ import annotations

import base64
import binascii
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pyotp
import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from fleet_lab import TOP

sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import login_check  # noqa: E402  pylint: disable=wrong-import-position

JOBS = ("provision", "enroll", "activate", "verify")
VAULT_PASSWORD = "runner job vault password"


def runner_tool():
    here = os.path.join(os.path.dirname(sys.executable), "ansible-runner")
    return here if os.access(here, os.X_OK) else shutil.which("ansible-runner")


class Job:
    def __init__(self, pdd, ident):
        self.dir = os.path.join(pdd, "artifacts", ident)

    def read(self, name):
        with open(os.path.join(self.dir, name), encoding="utf-8") as fh:
            return fh.read()

    @property
    def status(self):
        return self.read("status").strip()

    @property
    def events(self):
        return sorted(glob.glob(os.path.join(self.dir, "job_events", "*.json")))


def private_data_dir(root, lab):
    pdd = os.path.join(root, "pdd")
    work = os.path.join(root, "fleet2fa")
    os.makedirs(work, mode=0o700)
    for sub in ("inventory", "env", "project"):
        os.makedirs(os.path.join(pdd, sub), mode=0o700)
    shutil.copy(lab.inventory, os.path.join(pdd, "inventory", "hosts.yml"))
    files = {
        "env/extravars": yaml.safe_dump({"fleet2fa_escrow_dir": work + "/escrow", "fleet2fa_qr_dir": work + "/qr",
                                         "fleet2fa_report_dir": work + "/report",
                                         "fleet2fa_enroll_from_escrow": True}),
        "env/cmdline": "--ask-vault-pass --forks 10",
        "env/passwords": yaml.safe_dump({r"^Vault password:\s*?$": VAULT_PASSWORD}),
        "env/envvars": yaml.safe_dump({"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
                                       "ANSIBLE_NOCOLOR": "1", "PYTHONPATH": ""}),
        "env/settings": yaml.safe_dump({"fact_cache_type": "jsonfile", "job_timeout": 900}),
    }
    for job in JOBS:
        playbook = "---\n- name: Job template %s\n  ansible.builtin.import_playbook: fleet2fa.nas.%s\n"
        files["project/%s.yml" % job] = playbook % (job, job)
    for rel, text in files.items():
        with open(os.path.join(pdd, rel), "w", encoding="utf-8") as fh:
            fh.write(text)
    return pdd, work


def escrow(work):
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    entries = {}
    for path in sorted(glob.glob(os.path.join(work, "escrow", "*.yml"))):
        with open(path, "rb") as fh:
            doc = yaml.safe_load(vault.decrypt(fh.read()))
        for user, entry in doc["users"].items():
            entries[(os.path.basename(path)[:-4], user)] = entry
    return entries


def secret_forms(secret):
    """Every form an escrowed base32 secret could leak in, as case-insensitive regexes."""
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    grouped = r"\s?".join(re.escape(secret[i:i + 4]) for i in range(0, len(secret), 4))
    forms = {secret, binascii.hexlify(raw).decode(), base64.b64encode(raw).decode().rstrip("="),
             base64.urlsafe_b64encode(raw).decode().rstrip("="), urllib.parse.quote(secret, safe="")}
    return [re.compile(re.escape(f), re.I) for f in forms] + [re.compile(grouped, re.I),
                                                              re.compile(r"otpauth://totp/", re.I)]


def code_forms(entry, start, end):
    totp = pyotp.TOTP(entry["secret"], digits=entry["digits"], interval=entry["interval"])
    first, last = int(start // entry["interval"]) - 2, int(end // entry["interval"]) + 2
    return {re.compile(r"(?<![0-9A-Za-z])%s(?![0-9A-Za-z])" % totp.at(step * entry["interval"]))
            for step in range(first, last + 1)}


@pytest.fixture(scope="module")
def jobs(make_lab):
    lab = make_lab(linux=1, truenas=["25.10"])
    root = tempfile.mkdtemp(prefix="fleet2fa-runner-")
    pdd, work = private_data_dir(root, lab)
    start = time.time()
    runs = {}
    # ansible-runner looks for ansible-playbook on PATH: this venv's, as in an execution environment.
    env = dict(os.environ, PATH=os.path.dirname(runner_tool()) + ":" + os.environ["PATH"])
    for job in JOBS:
        res = subprocess.run([runner_tool(), "run", pdd, "-p", job + ".yml", "--ident", job],
                             capture_output=True, text=True, check=False, timeout=1200, env=env)
        runs[job] = (res, Job(pdd, job))
        if res.returncode != 0:
            break
    end = time.time()
    print("ansible-runner: %s in %.0f s" % (", ".join(runs), end - start))
    yield {"lab": lab, "pdd": pdd, "work": work, "runs": runs, "window": (start, end)}
    shutil.rmtree(root, ignore_errors=True)


def test_every_job_succeeds_as_awx_would_record_it(jobs):
    assert list(jobs["runs"]) == list(JOBS)
    for job, (res, artifacts) in jobs["runs"].items():
        assert res.returncode == 0, "%s:\n%s%s" % (job, res.stdout[-5000:], res.stderr[-2000:])
        assert artifacts.status == "successful", job
        assert artifacts.events, job
        assert json.loads(artifacts.read("command"))["command"][0].endswith("ansible-playbook")


def test_the_vault_password_came_from_the_prompt_not_the_command_line(jobs):
    for job, (_res, artifacts) in jobs["runs"].items():
        command = json.loads(artifacts.read("command"))
        assert "--ask-vault-pass" in command["command"], job
        assert VAULT_PASSWORD not in json.dumps(command), job
        assert VAULT_PASSWORD not in artifacts.read("stdout"), job


def test_the_jobs_left_hosts_that_take_password_and_code(jobs):
    entries = escrow(jobs["work"])
    assert sorted(host for host, _user in entries) == sorted(h.name for h in jobs["lab"].hosts)
    for host in jobs["lab"].hosts:
        entry = entries[(host.name, "root")]
        seen = login_check.run_checks({"host": host.address, "password": host.root_password,
                                       "secret": entry["secret"], "digits": entry["digits"],
                                       "interval": entry["interval"]})
        assert seen == {"wrong_code": False, "right_code": True}, host.name


def test_no_artifact_holds_a_secret_the_root_password_or_a_code(jobs):
    entries = escrow(jobs["work"])
    assert entries
    patterns = [("root password", re.compile(re.escape(jobs["lab"].root_password)))]
    for (host, user), entry in entries.items():
        patterns += [("secret of %s@%s" % (user, host), p) for p in secret_forms(entry["secret"])]
        patterns += [("code of %s@%s" % (user, host), p) for p in code_forms(entry, *jobs["window"])]
    # The search finds what it looks for: a secret in lower case and in hex, a code as a JSON value.
    entry = next(iter(entries.values()))
    raw = base64.b32decode(entry["secret"] + "=" * (-len(entry["secret"]) % 8))
    planted = json.dumps({"msg": entry["secret"].lower(), "hex": binascii.hexlify(raw).decode(),
                          "code": pyotp.TOTP(entry["secret"]).at(jobs["window"][1])})
    assert sum(bool(p.search(planted)) for _what, p in patterns) >= 3
    scanned, found = 0, []
    for folder in ("artifacts", "env"):
        for dirpath, _dirs, names in os.walk(os.path.join(jobs["pdd"], folder)):
            for name in names:
                path = os.path.join(dirpath, name)
                if path == os.path.join(jobs["pdd"], "env", "passwords"):
                    continue  # the vault credential we handed in, and nothing else (checked below)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                scanned += 1
                found += ["%s in %s" % (what, os.path.relpath(path, jobs["pdd"]))
                          for what, pattern in patterns if pattern.search(text)]
    assert scanned > 4 * len(JOBS)  # stdout, status, command and job events of each job at least
    assert any("fact_cache" in d for d, _s, _n in os.walk(os.path.join(jobs["pdd"], "artifacts")))
    assert found == []
    with open(os.path.join(jobs["pdd"], "env", "passwords"), encoding="utf-8") as fh:
        assert yaml.safe_load(fh) == {r"^Vault password:\s*?$": VAULT_PASSWORD}
