"""What the rollout tests share: the installed collection, the escrow as an admin reads it, logins
by a client of our own (paramiko, apart from the collection's prover), the play recap, and a host
that dies.

The escrow is read with ansible-vault's own VaultLib and plain YAML, as ``ansible-vault view``
would show it; codes come from pyotp. Nothing here prints a secret or a code.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import glob
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse

import pyotp
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import login_check  # noqa: E402  pylint: disable=wrong-import-position
CGROUP_ROOTS = ("/sys/fs/cgroup/systemd/fleet2fa", "/sys/fs/cgroup/unified/fleet2fa")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)"
                   r"\s+rescued=(\d+)", re.M)


def venv_tool(name):
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.access(here, os.X_OK) else name


def install_collection(work):
    """Build the tarball of this checkout and install it into an empty path; return that path."""
    dist, colls = os.path.join(work, "dist"), os.path.join(work, "collections")
    subprocess.run([venv_tool("ansible-galaxy"), "collection", "build", TOP, "--output-path", dist, "--force"],
                   check=True, capture_output=True, text=True)
    tarball = glob.glob(os.path.join(dist, "fleet2fa-nas-*.tar.gz"))[0]
    subprocess.run([venv_tool("ansible-galaxy"), "collection", "install", tarball, "-p", colls, "--force"],
                   check=True, capture_output=True, text=True)
    assert os.path.isfile(os.path.join(colls, "ansible_collections", "fleet2fa", "nas", "playbooks", "rollout.yml"))
    return colls


class Escrow:
    """The file escrow as an admin with the vault password sees it."""

    def __init__(self, folder, vault_password):
        self.folder = folder
        self.vault = VaultLib([("default", VaultSecret(vault_password.encode()))])

    def doc(self, host):
        with open(os.path.join(self.folder, host + ".yml"), "rb") as fh:
            return yaml.safe_load(self.vault.decrypt(fh.read()))

    def hosts(self):
        return sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(self.folder, "*.yml")))

    def entry(self, host, user="root"):
        return self.doc(host)["users"][user]

    def everything(self):
        """{(host, user): entry} for every escrowed user of every host."""
        return {(host, user): entry for host in self.hosts() for user, entry in self.doc(host)["users"].items()}

    def leak_forms(self):
        """Every escrowed secret in each form it could leak in: base32, hex, base64, the URI, URL-encoded."""
        forms = set()
        for (host, user), entry in self.everything().items():
            secret = entry["secret"]
            raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
            uri = pyotp.TOTP(secret, digits=entry["digits"], interval=entry["interval"]).provisioning_uri(
                name="%s@%s" % (user, host), issuer_name="fleet2fa")
            forms |= {secret, secret.lower(), binascii.hexlify(raw).decode(), binascii.hexlify(raw).decode().upper(),
                      base64.b64encode(raw).decode(), "secret=" + secret, urllib.parse.quote(uri, safe=""),
                      urllib.parse.quote(secret)}
        return forms


def totp_for(entry):
    return pyotp.TOTP(entry["secret"], digits=entry["digits"], interval=entry["interval"])


def wrong_code(entry, around=None):
    """A code no step near ``around`` has."""
    otp, now = totp_for(entry), time.time() if around is None else around
    near = {otp.at(now + k * entry["interval"]) for k in range(-6, 7)}
    return next(c for c in ("%0*d" % (entry["digits"], n) for n in range(10 ** entry["digits"])) if c not in near)


def wait_for_a_fresh_step(since, period=30):
    """Sleep until the time step after the one ``since`` falls in: codes used up to then are spent."""
    target = (int(since // period) + 1) * period + 0.2
    if time.time() < target:
        time.sleep(target - time.time())


def login(address, user, password, code=None, method="keyboard-interactive", prompts_seen=None):
    """True when sshd lets ``user`` in (tests/lab/login_check.py's client, apart from the collection's
    prover). ``prompts_seen`` (a list) gets "otp" or "password" for each keyboard-interactive prompt."""
    result = login_check.login(address, user, password, code, method=method)
    if prompts_seen is not None:
        prompts_seen.extend(result.prompts)
    return result.ok


def on_every_host(hosts, func):
    """{host.name: func(host)}, all hosts at once."""
    with concurrent.futures.ThreadPoolExecutor(max(1, len(hosts))) as pool:
        futures = {h.name: pool.submit(func, h) for h in hosts}
        return {name: fut.result() for name, fut in futures.items()}


def recap(output):
    """{host: {ok, changed, unreachable, failed, skipped, rescued}} of the last PLAY RECAP."""
    tail = output[output.rfind("PLAY RECAP"):]
    keys = ("ok", "changed", "unreachable", "failed", "skipped", "rescued")
    return {m.group(1): dict(zip(keys, map(int, m.groups()[1:]))) for m in RECAP.finditer(tail)}


def kill_host(lab_name, host_name, timeout=10):
    """SIGKILL every process of a lab host (its nspawn, its systemd, its sshd): the host is lost, as a
    box that loses power. Its files stay in the lab's upper dir."""
    deadline = time.monotonic() + timeout
    while True:
        pids = set()
        for root in CGROUP_ROOTS:
            for dirpath, _dirs, files in os.walk(os.path.join(root, lab_name, host_name)):
                if "cgroup.procs" in files:
                    with open(os.path.join(dirpath, "cgroup.procs"), encoding="ascii") as fh:
                        pids.update(int(p) for p in fh.read().split())
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError("%s of lab %s does not die" % (host_name, lab_name))
        time.sleep(0.05)
