"""Fixtures for the sshd_otp integration tests: one 3-host lab, a secret per host, playbook runs.

A plain module rather than a conftest.py, so that it never shadows the conftest of tests/integration
(test_lab.py imports from it by name)."""

import json
import os

import pyotp
import pytest
import yaml

SNAPSHOT = r"""
set -u
for f in /etc/ssh/sshd_config /etc/pam.d/sshd /etc/users.oath; do
  if [ -e "$f" ]; then echo "$f $(stat -c '%a %U %G' "$f") $(sha256sum < "$f" | cut -c1-64)"; else echo "$f absent"; fi
done
if [ -d /etc/ssh/sshd_config.d ]; then
  echo "dir /etc/ssh/sshd_config.d $(stat -c '%a' /etc/ssh/sshd_config.d)"
  for f in /etc/ssh/sshd_config.d/*; do [ -e "$f" ] && echo "$f $(sha256sum < "$f" | cut -c1-64)"; done
fi
ls -d /var/lib/fleet2fa 2>/dev/null || true
ls /etc/users.oath.lock 2>/dev/null || true
"""


@pytest.fixture(scope="module")
def lab(make_lab):
    return make_lab(linux=3)


@pytest.fixture(scope="module")
def secrets(lab):
    """A fresh secret per host, made for this test run only."""
    return {host.name: pyotp.random_base32() for host in lab.group("linux")}


def snapshot(lab):
    """{host: text} naming each managed file with its mode, owner and sha256 (or that it is absent)."""
    results = lab.ansible("linux", "ansible.builtin.shell", SNAPSHOT)
    assert all(r.get("rc") == 0 for r in results.values()), results
    return {host: r["stdout"] for host, r in results.items()}


class SshdOtpRunner:
    """Writes a one-task playbook around fleet2fa.nas.sshd_otp and returns each host's result."""

    def __init__(self, lab, secrets, folder):
        self.lab = lab
        self.folder = folder
        self.count = 0
        vars_file = os.path.join(folder, "secrets.yml")
        with open(os.path.join(folder, "secrets.yml"), "w") as handle:
            yaml.safe_dump({"test_secrets": secrets}, handle)
        os.chmod(vars_file, 0o600)
        self.vars_file = vars_file

    def run(self, *flags, **args):
        """ansible-playbook over every Linux host; returns (CompletedProcess, {host: result})."""
        self.count += 1
        out_dir = os.path.join(self.folder, "run%d" % self.count)
        os.mkdir(out_dir)
        task = {"users": [{"name": "root", "secret": "{{ test_secrets[inventory_hostname] }}"}],
                "verify_password": "{{ lab_root_password }}"}
        task.update(args)
        task = {k: v for k, v in task.items() if v is not None}
        play = [{
            "name": "sshd_otp under test",
            "hosts": "linux",
            "gather_facts": False,
            "vars_files": [self.vars_file],
            "tasks": [
                {"name": "sshd_otp", "fleet2fa.nas.sshd_otp": task, "register": "result", "ignore_errors": True},
                {"name": "keep the result", "delegate_to": "localhost",
                 "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": out_dir + "/{{ inventory_hostname }}.json",
                                          "mode": "0600"}, "check_mode": False, "diff": False, "changed_when": False},
            ],
        }]
        path = os.path.join(out_dir, "play.yml")
        with open(path, "w") as handle:
            yaml.safe_dump(play, handle, sort_keys=False)
        proc = self.lab.run_playbook(path, *flags)
        results = {}
        for name in os.listdir(out_dir):
            if name.endswith(".json"):
                with open(os.path.join(out_dir, name)) as handle:
                    results[name[:-5]] = json.load(handle)
        assert len(results) == len(self.lab.group("linux")), proc.stdout + proc.stderr
        return proc, results


@pytest.fixture(scope="module")
def sshd_otp(lab, secrets, tmp_path_factory):
    return SshdOtpRunner(lab, secrets, str(tmp_path_factory.mktemp("sshd_otp")))
