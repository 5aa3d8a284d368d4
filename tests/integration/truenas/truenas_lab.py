"""Helpers of the TrueNAS integration tests: the lab (one host per profile and transport), the escrow,
API and SSH logins.

``tn<ver>-1`` hosts are driven on the box (midclt), ``tn<ver>-2`` over the network (websocket with
an API key minted on the box).
"""

import json
import os
import re
import socket

import paramiko
import yaml
from ansible.parsing.vault import VaultSecret

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.transport import WebsocketTransport
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow

PROFILES = ["13.0", "22.12", "23.10", "24.10", "25.04", "25.10", "26.0"]
HERE = os.path.dirname(os.path.abspath(__file__))
VAULT_PASSWORD = "lab-vault-password"
RECAP_RE = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def version_key(version):
    return tuple(int(part) for part in version.split("."))


class TrueNASLab:
    def __init__(self, lab, workdir):
        # Not pytest's tmp_path: pytest prunes old base temp dirs, and other runs on this machine would
        # take the escrow away while FLEET2FA_KEEP_LAB=1 keeps the lab for a post-mortem.
        self.lab = lab
        self.workdir = workdir
        self.escrow_dir = os.path.join(workdir, "escrow")
        self.vault_file = os.path.join(workdir, "vault-password")
        with open(self.vault_file, "w") as fh:
            fh.write(VAULT_PASSWORD + "\n")
        self.overlay = os.path.join(workdir, "transports.yml")
        self.api_keys = {}

    @property
    def hosts(self):
        return self.lab.group("truenas")

    def transport(self, host):
        return "midclt" if host.name.endswith("-1") else "websocket"

    def midclt(self, host, method, *args):
        """``midclt call`` on the box over Ansible's key SSH; each arg is sent as JSON; the parsed result."""
        argv = ["midclt", "call", method] + [json.dumps(a) for a in args]
        res = self.lab.ansible(host.name, "ansible.builtin.command", {"argv": argv})[host.name]
        assert res.get("rc") == 0, res
        out = res["stdout"].strip()
        try:
            return yaml.safe_load(out)
        except yaml.YAMLError:
            return out

    def midclt_each(self, pattern, method, args_by_host):
        """One ad-hoc run of ``midclt call method <args of that host>`` on every host of ``pattern``."""
        template = "{{ ['midclt', 'call', '%s'] + (tn_args[inventory_hostname] | map('to_json') | list) }}" % method
        extra_vars = json.dumps({"tn_args": args_by_host})
        results = self.lab.ansible(pattern, "ansible.builtin.command", {"argv": template},
                                   extra=["-e", extra_vars])
        parsed = {}
        for name, res in results.items():
            assert res.get("rc") == 0, (name, res)
            parsed[name] = yaml.safe_load(res["stdout"].strip())
        return parsed

    def mint_api_keys(self):
        """An API key on each websocket host, minted on the box as an admin would (key SSH + midclt)."""
        wanted = {}
        for host in self.hosts:
            if self.transport(host) == "websocket":
                spec = {"name": "fleet2fa-lab"}
                if version_key(host.truenas_version) >= (25, 4):
                    spec["username"] = "root"  # 25.04+ keys belong to a user
                wanted[host.name] = [spec]
        created = self.midclt_each(",".join(wanted), "api_key.create", wanted)
        self.api_keys = {name: answer["key"] for name, answer in created.items()}

    def write_overlay(self):
        hosts = {}
        for host in self.hosts:
            if self.transport(host) == "midclt":
                hosts[host.name] = {"tn_transport": "midclt", "tn_delegate": host.name}
            else:
                hosts[host.name] = {
                    "tn_transport": "websocket", "tn_delegate": "localhost",
                    "tn_api_url": "wss://%s" % host.address, "tn_api_key": self.api_keys[host.name],
                    "tn_api_username": "root" if version_key(host.truenas_version) >= (25, 4) else None,
                }
        doc = {"all": {"vars": {"tn_api_url": None, "tn_api_key": None, "tn_api_username": None,
                                "tn_escrow_dir": self.escrow_dir}},
               "truenas": {"hosts": hosts}}
        with open(self.overlay, "w") as fh:
            yaml.safe_dump(doc, fh)

    def playbook(self, name, *args):
        res = self.lab.run_playbook(os.path.join(HERE, name), "-i", self.overlay, "--vault-password-file",
                                    self.vault_file, *args)
        recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                              "failed": int(m.group(5))} for m in RECAP_RE.finditer(res.stdout)}
        return res, recap

    def adhoc(self, host, module, args):
        """One module on one host, run the way the playbook does (delegated for websocket)."""
        overlay = yaml.safe_load(open(self.overlay))["truenas"]["hosts"][host.name]
        args = dict(args, transport=overlay["tn_transport"])
        if overlay["tn_transport"] == "websocket":
            args.update(api_url=overlay["tn_api_url"], api_key=overlay["tn_api_key"], api_validate_certs=False)
            if overlay["tn_api_username"]:
                args["api_username"] = overlay["tn_api_username"]
        extra = ["-i", self.overlay, "--vault-password-file", self.vault_file]
        if overlay["tn_transport"] == "websocket":
            return self.lab.ansible(host.name, module, args, extra=extra + ["-e", "ansible_connection=local",
                                                                            "-e", "ansible_python_interpreter="
                                                                            + _venv_python()])[host.name]
        return self.lab.ansible(host.name, module, args, extra=extra)[host.name]

    def escrowed_key(self, host, user, escrow_dir=None):
        store = open_escrow({"dir": escrow_dir or self.escrow_dir},
                            vault_secrets=[("default", VaultSecret(VAULT_PASSWORD.encode()))])
        entry = store.get(host.name, user)
        assert entry is not None, "no escrow entry for %s on %s" % (user, host.name)
        return entry.key

    def api_login(self, host, code, user="root"):
        transport = WebsocketTransport("wss://%s" % host.address, validate_certs=False, timeout=15)
        try:
            transport.connect()
            return transport.login_with_password(user, self.lab.root_password, code)
        finally:
            transport.close()


def _venv_python():
    import sys

    return sys.executable


def wrong_code(key, at):
    """A code of the right length that matches no step near ``at``."""
    near = {key.code_at(at + offset * key.period) for offset in range(-3, 4)}
    candidate = int(key.code_at(at))
    while True:
        candidate = (candidate + 1) % 10 ** key.digits
        code = "%0*d" % (key.digits, candidate)
        if code not in near:
            return code


def ssh_password_and_code(address, user, password, code, timeout=15):
    """A keyboard-interactive SSH login answering the password and OTP prompts; the remote ``id -un``."""
    sock = socket.create_connection((address, 22), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)

        def answer(title, instructions, prompts):
            return [code if re.search(r"one-time|oath|otp|verification", prompt, re.I) else password
                    for prompt, echo in prompts]

        transport.auth_interactive(user, answer)
        channel = transport.open_session(timeout=timeout)
        channel.exec_command("id -un")
        return channel.makefile().read().decode().strip()
    finally:
        transport.close()
