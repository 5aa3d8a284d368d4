# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real ansible-playbook runs on the controller for the report, handout and enroll tests that need no
lab: inventory hosts are local-connection stand-ins, the escrow is a real file escrow."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import yaml
from ansible.parsing.vault import VaultSecret

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry

PLAYBOOKS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "playbooks"))
BIN = os.path.dirname(sys.executable)
VAULT_PASSWORD = "controller plays vault password"


class Controller:
    def __init__(self, root, groups):
        """``groups``: {group: {host: vars}}; every host gets the local connection."""
        self.root = root
        self.escrow_dir = os.path.join(root, "escrow")
        self.vault = os.path.join(root, "vault-pass")
        with open(self.vault, "w") as f:
            f.write(VAULT_PASSWORD + "\n")
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        self.inventory = os.path.join(root, "inventory.yml")
        with open(self.inventory, "w") as f:
            yaml.safe_dump({group: {"hosts": {h: dict(local, **(v or {})) for h, v in hosts.items()}}
                            for group, hosts in groups.items()}, f)
        self.store = open_escrow({"dir": self.escrow_dir},
                                 vault_secrets=[("default", VaultSecret(VAULT_PASSWORD.encode()))])
        self.env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                        ANSIBLE_LOCAL_TEMP=os.path.join(root, "tmp"), ANSIBLE_HOME=os.path.join(root, "home"),
                        PATH=BIN + os.pathsep + os.environ.get("PATH", ""))

    def escrow(self, host, user, issuer="fleet2fa", account=None, devices=()):
        entry = EscrowEntry.new(user, TotpKey.generate(), issuer=issuer, account=account or "%s@%s" % (user, host))
        entry.devices = [{"name": n, "verified": True} for n in devices]
        self.store.put_once(host, user, entry)
        return self.store.get(host, user)

    def write(self, name, data):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            if isinstance(data, str):
                f.write(data)
            else:
                yaml.safe_dump(data, f, sort_keys=False)
        return path

    def encrypt(self, name, data):
        """A vars file encrypted with ansible-vault (the play's vault password)."""
        path = self.write(name, data)
        subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt", "--vault-password-file", self.vault, path],
                       env=self.env, check=True, capture_output=True)
        return path

    def play(self, playbook, *extra):
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, playbook, "--vault-password-file",
               self.vault, "-e", "fleet2fa_escrow_dir=%s" % self.escrow_dir] + list(extra)
        done = subprocess.run(cmd, env=self.env, cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=600, check=False)
        return done.returncode, done.stdout + done.stderr


def hashes(folder):
    """{path: sha256} of every file under ``folder`` (empty when it is not there)."""
    found = {}
    for directory, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                found[path] = hashlib.sha256(handle.read()).hexdigest()
    return found
