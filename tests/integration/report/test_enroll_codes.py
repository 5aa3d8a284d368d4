# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/enroll.yml without the codes it needs: it fails before anything changes and says which
variable to set and which hosts and users lack codes. The hosts are local-connection stand-ins: the
check runs on the controller before any host is asked anything."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
import yaml
from ansible.parsing.vault import VaultSecret

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry

HERE = os.path.dirname(os.path.abspath(__file__))
ENROLL = os.path.join(HERE, "..", "..", "..", "playbooks", "enroll.yml")
BIN = os.path.dirname(sys.executable)
VAULT_PASSWORD = "enroll codes vault password"


class Controller:
    def __init__(self, root):
        self.root = root
        self.escrow_dir = os.path.join(root, "escrow")
        self.vault = os.path.join(root, "vault-pass")
        with open(self.vault, "w") as f:
            f.write(VAULT_PASSWORD + "\n")
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        self.inventory = os.path.join(root, "inventory.yml")
        with open(self.inventory, "w") as f:
            yaml.safe_dump({"linux": {"hosts": {"lin01": dict(local, fleet2fa_users=["root", "admin"]),
                                                "lin02": dict(local)}},
                            "truenas": {"hosts": {"tn2410-1": dict(local)}}}, f)
        store = open_escrow({"dir": self.escrow_dir}, vault_secrets=[("default", VaultSecret(VAULT_PASSWORD.encode()))])
        for host, users in (("lin01", ("root", "admin")), ("lin02", ("root",)), ("tn2410-1", ("root",))):
            for user in users:
                store.put_once(host, user, EscrowEntry.new(user, TotpKey.generate(), account="%s@%s" % (user, host)))
        self.env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                        ANSIBLE_LOCAL_TEMP=os.path.join(root, "tmp"), ANSIBLE_HOME=os.path.join(root, "home"),
                        PATH=BIN + os.pathsep + os.environ.get("PATH", ""))

    def enroll(self, *extra):
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, ENROLL, "--vault-password-file", self.vault,
               "-e", "fleet2fa_escrow_dir=%s" % self.escrow_dir] + list(extra)
        done = subprocess.run(cmd, env=self.env, cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=300, check=False)
        return done.returncode, done.stdout + done.stderr

    def codes_file(self, codes):
        path = os.path.join(self.root, "codes.yml")
        with open(path, "w") as f:
            yaml.safe_dump({"fleet2fa_enroll_codes": codes}, f)
        return "@" + path

    def escrow_hashes(self):
        return {os.path.join(d, n): hashlib.sha256(open(os.path.join(d, n), "rb").read()).hexdigest()
                for d, _dirs, names in os.walk(self.escrow_dir) for n in names}


@pytest.fixture
def controller(tmp_path):
    return Controller(str(tmp_path))


def test_enroll_without_codes_fails_naming_the_variable_and_every_host_and_user(controller):
    before = controller.escrow_hashes()
    rc, out = controller.enroll()
    assert rc != 0, out
    assert "Set fleet2fa_enroll_codes" in out and "fleet2fa_enroll_prompt=true" in out, out
    assert "lin01 (root, admin); lin02 (root); tn2410-1 (root)" in out, out
    assert "Nothing was changed" in out
    # The check stops the run for every host before the enrollment step runs anywhere.
    assert "record the admins' devices" not in out
    assert controller.escrow_hashes() == before


def test_enroll_with_some_codes_names_only_the_users_still_lacking(controller):
    before = controller.escrow_hashes()
    rc, out = controller.enroll("-e", controller.codes_file({
        "lin01": {"root": {"primary": "123456"}, "admin": {"primary": ""}}, "tn2410-1": {"root": {"primary": "654321"}}}))
    assert rc != 0, out
    assert "enroll.yml has no code for lin01 (admin); lin02 (root)." in out, out
    assert "123456" not in out and "654321" not in out
    assert controller.escrow_hashes() == before


def test_enroll_with_limit_checks_only_the_hosts_of_the_run(controller):
    rc, out = controller.enroll("--limit", "lin02")
    assert rc != 0
    assert "has no code for lin02 (root)." in out, out


def test_enroll_with_every_code_goes_on_to_the_enrollment_step(controller):
    codes = {"lin01": {"root": {"primary": "111111"}, "admin": {"primary": "222222"}},
             "lin02": {"root": {"primary": "333333"}}, "tn2410-1": {"root": {"primary": "444444"}}}
    # The role still wants a root password to load (the rollout's part of issue 10 drops that need).
    rc, out = controller.enroll("-e", controller.codes_file(codes), "-e", "fleet2fa_vault_root_password=unused")
    assert "has no code" not in out
    assert "record the admins' devices" in out, out
    for code in ("111111", "222222", "333333", "444444"):
        assert code not in out


def test_enroll_prompt_without_a_terminal_fails_naming_the_host_and_users(controller):
    before = controller.escrow_hashes()
    rc, out = controller.enroll("-e", "fleet2fa_enroll_prompt=true", "--limit", "lin01")
    assert rc != 0, out
    assert "no code was typed on lin01 for root, admin" in out, out
    assert controller.escrow_hashes() == before
