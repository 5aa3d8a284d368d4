# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.yml and handout.yml on a mixed lab (2 Linux, TrueNAS 24.10 and CORE 13.3) plus one host that
cannot be reached, against what the hosts really are and what the escrow really holds."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import urllib.parse

import pytest
import yaml
import zxingcpp
from ansible.parsing.vault import VaultSecret
from PIL import Image

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import secret_bytes
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow

HERE = os.path.dirname(os.path.abspath(__file__))
# The unit tests' independent reader of transfer URIs, written from the protobuf wire format spec.
sys.path.insert(0, os.path.join(HERE, "..", "..", "unit", "plugins", "plugin_utils"))
from migration_decoder import decode_uri  # noqa: E402  pylint: disable=wrong-import-position
PLAYBOOKS = os.path.join(HERE, "..", "..", "..", "playbooks")
VAULT_PASSWORD = "report lab vault password"
OPTS = ("-e", "@{vars}", "--vault-password-file", "{vault}")


class Env:
    def __init__(self, lab, work):
        self.lab, self.work = lab, work
        self.escrow_dir = os.path.join(work, "escrow")
        self.qr_dir = os.path.join(work, "qr")
        self.report_dir = os.path.join(work, "report")
        self.vault = os.path.join(work, "vault-pass")
        with open(self.vault, "w") as f:
            f.write(VAULT_PASSWORD + "\n")
        self.vars = os.path.join(work, "vars.yml")
        with open(self.vars, "w") as f:
            yaml.safe_dump({"escrow_dir": self.escrow_dir, "fleet2fa_escrow_dir": self.escrow_dir,
                            "fleet2fa_qr_dir": self.qr_dir, "fleet2fa_report_dir": self.report_dir}, f)
        # A host of the linux group that nothing answers for: it must show up as unreachable.
        self.ghost = os.path.join(work, "ghost.yml")
        with open(self.ghost, "w") as f:
            yaml.safe_dump({"linux": {"hosts": {"ghost": {"ansible_host": "127.0.0.1", "ansible_port": 9,
                                                          "ansible_user": "root"}}}}, f)
        self.store = open_escrow({"dir": self.escrow_dir},
                                 vault_secrets=[("default", VaultSecret(VAULT_PASSWORD.encode()))])

    def play(self, playbook, *extra, ghost=True):
        args = (["-i", self.ghost] if ghost else []) + [a.format(vars=self.vars, vault=self.vault) for a in OPTS]
        return self.lab.run_playbook(playbook, *(args + list(extra)))

    def report(self):
        with open(os.path.join(self.report_dir, "report.json")) as f:
            return json.load(f)

    def secrets(self):
        """Every escrowed secret in every form it could leak in."""
        forms = []
        for host in [h.name for h in self.lab.hosts]:
            for user in self.store.users(host):
                entry = self.store.get(host, user)
                uri = entry.uri()
                forms += [entry.key.secret, entry.key.secret.lower(), entry.key.hex, entry.key.hex.lower(),
                          uri, urllib.parse.unquote(uri)]
        return forms


def ok(run):
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    return run


def mtimes(folder):
    return {os.path.join(d, n): os.stat(os.path.join(d, n)).st_mtime_ns
            for d, _dirs, names in os.walk(folder) for n in names}


@pytest.fixture(scope="module")
def env(make_lab):
    lab = make_lab(linux=2, truenas=["24.10", "13.3"])
    work = tempfile.mkdtemp(prefix="fleet2fa-report-")
    env = Env(lab, work)
    ok(env.play(os.path.join(HERE, "setup_2fa.yml"), ghost=False))
    yield env
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def first_report(env):
    run = env.play(os.path.join(PLAYBOOKS, "report.yml"))
    # The ghost is unreachable (the recap says so) but the play goes on and writes the report.
    assert "ghost" in run.stdout and os.path.exists(os.path.join(env.report_dir, "report.html")), run.stdout[-4000:]
    return env.report()


def test_report_matches_what_the_hosts_are(env, first_report):
    hosts = {h["host"]: h for h in first_report["hosts"]}
    assert set(hosts) == {h.name for h in env.lab.hosts} | {"ghost"}
    for lab_host in env.lab.hosts:
        record = hosts[lab_host.name]
        assert record["status"] == "ok", record
        assert record["platform"] == lab_host.group
        assert record["two_factor"] is True and record["ssh_otp"] is True
        root = next(u for u in record["users"] if u["user"] == "root")
        entry = env.store.get(lab_host.name, "root")
        assert root["escrowed"] and root["fingerprint"] == entry.fingerprint
        assert root["two_factor"] and root["ssh_otp"]
        assert (root["verified_devices"], root["device_names"]) == (2, ["primary", "backup"])
        assert root["age_days"] == 0
        if lab_host.group == "linux":
            assert root["fingerprint_match"] is True  # the users.oath line holds the escrowed secret
        else:
            assert record["truenas_version"] and root["ssh_password_login"] is True


def test_linux_state_is_what_the_files_say(env):
    host = env.lab.group("linux")[0].name
    result = env.lab.ansible(host, "fleet2fa.nas.otp_state_info", "platform=linux")[host]
    assert result["pam"]["oath_lines"] == 1 and result["sshd"]["dropin_included"] and result["sshd"]["dropin_managed"]
    assert [u["user"] for u in result["users"]] == ["root"] and result["changed"] is False
    assert "keyboard-interactive" in result["users"][0]["authentication_methods"]


def test_unreachable_host_is_listed_not_dropped(first_report):
    ghost = next(h for h in first_report["hosts"] if h["host"] == "ghost")
    assert ghost["status"] == "unreachable" and ghost["error"]
    assert first_report["summary"]["by_status"]["unreachable"] == 1


def test_no_secret_in_either_report_file(env, first_report):
    for name in ("report.json", "report.html"):
        with open(os.path.join(env.report_dir, name)) as f:
            text = f.read()
        for form in env.secrets():
            assert form not in text, name
    for path in mtimes(env.report_dir):
        assert os.stat(path).st_mode & 0o777 == 0o600


def test_second_report_run_changes_nothing(env, first_report):
    before = mtimes(env.report_dir)
    run = env.play(os.path.join(PLAYBOOKS, "report.yml"))
    assert env.report() == first_report
    assert mtimes(env.report_dir) == before
    recap = run.stdout.split("PLAY RECAP")[-1]
    assert recap.count("changed=0") == len(env.lab.hosts) + 1, recap


def test_a_query_narrows_the_report(env, first_report):
    other = os.path.join(env.work, "narrowed")
    ok(env.play(os.path.join(PLAYBOOKS, "report.yml"), "-e", "fleet2fa_report_dir=%s" % other,
                "-e", "fleet2fa_report_query=\"hosts[?status != 'ok'].host\""))
    with open(os.path.join(other, "report.json")) as f:
        assert json.load(f)["result"] == ["ghost"]


def pack_payloads(env):
    folder = os.path.join(env.qr_dir, "packs", "root")
    with open(os.path.join(folder, "pack.json")) as f:
        manifest = json.load(f)
    payloads = []
    for batch in manifest["batches"]:
        found = zxingcpp.read_barcodes(Image.open(os.path.join(folder, batch["png"])), formats=zxingcpp.BarcodeFormat.QRCode)
        texts = {code.text for code in found}  # the one symbol may be read twice (rotation tries)
        assert len(texts) == 1
        payloads.append((batch, decode_uri(texts.pop())))
    return manifest, payloads


def test_handout_pack_holds_exactly_the_escrowed_secrets(env):
    run = ok(env.play(os.path.join(PLAYBOOKS, "handout.yml"), "-e", "fleet2fa_enroll_from_escrow=true"))
    assert "passed_from_escrow" in run.stdout
    manifest, payloads = pack_payloads(env)
    assert len(payloads) == 1
    batch, payload = payloads[0]
    assert len(payload["otp_parameters"]) == 4 <= 10
    got = {(p["issuer"], p["name"]): p["secret"] for p in payload["otp_parameters"]}
    expected = {}
    for host in sorted(h.name for h in env.lab.hosts):
        entry = env.store.get(host, "root")
        # One label scheme on Linux and TrueNAS; the box's own label stays in the escrow.
        expected[("fleet2fa", "root@%s" % host)] = secret_bytes(entry.key.secret)
    assert got == expected
    assert all(p["digits"] == 1 and p["type"] == 2 for p in payload["otp_parameters"])
    for form in env.secrets():
        assert form not in run.stdout


def test_handout_second_run_and_spot_check_from_a_vars_file(env):
    before = mtimes(env.qr_dir)
    hosts = sorted(h.name for h in env.lab.hosts)[:3]
    codes = os.path.join(env.work, "codes.yml")
    with open(codes, "w") as f:
        yaml.safe_dump({"fleet2fa_handout_codes": [{"user": "root", "host": h, "code": env.store.code(h, "root")}
                                                   for h in hosts]}, f)
    run = ok(env.play(os.path.join(PLAYBOOKS, "handout.yml"), "-e", "@" + codes))
    assert "changed=0" in run.stdout.split("PLAY RECAP")[-1]
    assert mtimes(env.qr_dir) == before


def test_a_wrong_spot_check_code_fails_naming_the_host(env):
    host = sorted(h.name for h in env.lab.hosts)[0]
    right = env.store.code(host, "root")
    wrong = "%06d" % ((int(right) + 500000) % 1000000)
    codes = os.path.join(env.work, "wrong.yml")
    with open(codes, "w") as f:
        yaml.safe_dump({"fleet2fa_handout_codes": [{"user": "root", "host": host, "code": wrong}],
                        "fleet2fa_handout_spot_checks": 1}, f)
    run = env.play(os.path.join(PLAYBOOKS, "handout.yml"), "-e", "@" + codes)
    assert run.returncode != 0
    assert "spot check of root failed on %s" % host in run.stdout
    assert wrong not in run.stdout
