# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The leak scan: a whole life cycle at -vvvv, and no secret or live code anywhere it should not be.

One Linux lab host goes through rollout, a re-run, rotate, verify, report, handout, a failing run (a
wrong root password with verify=always: the proof fails after the code was sent) and disable, every
run at -vvvv with ANSIBLE_LOG_PATH. Disable comes last so that verify and the failing run meet a host
that asks for the code. Every secret the escrow held at any point (the rotated one too) is then
searched, in each form it could take, in:

- each run's stdout and stderr, and the ANSIBLE_LOG_PATH log;
- the report folder and the QR folder, except the files that are MEANT to hold the secret
  (``SECRET_FILES``);
- the host's journal (journalctl through the lab's exec).

The escrow folder is not searched: it is the secret's home (ansible-vault ciphertext).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse

import pyotp
import pytest

from rollout_support import Escrow, TOP

sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
from fleetlib import faults  # noqa: E402  pylint: disable=wrong-import-position

VAULT_PASSWORD = "leak scan vault password"
HOST = "lin01"
# Files written on purpose with the secret inside, relative to the QR folder (fnmatch patterns): the QR
# images of each host and user, and the handout's transfer codes, URI list and Aegis export
# (plugins/plugin_utils/_handout.py, SECRET_FILES). Everything else there is searched: pack.json, index.html.
SECRET_FILES = ("*/*.png", "*/*.svg", "packs/*/pack-*.png", "packs/*/pack-*.svg", "packs/*/otpauth.txt",
                "packs/*/aegis.json")
# Whole-run steps around each run whose codes are searched: a code is live from two steps before to
# two after (the widest window the collection uses by default, pam_oath's 3, is inside).
NEAR_STEPS = 2
# An otpauth URI with something in it (a page may name the scheme, "one otpauth:// URI a line").
URI_RE = re.compile(r"otpauth://(?:totp|hotp)/\S|otpauth-migration://offline\?data=\S", re.I)


def secret_forms(secret):
    """(forms matched in any letter case, forms matched exactly) of one base32 secret."""
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    groups = [secret[i:i + 4] for i in range(0, len(secret), 4)]  # as authenticator apps show it: ABCD EFGH ...
    any_case = {secret, " ".join(groups), "-".join(groups), binascii.hexlify(raw).decode(), urllib.parse.quote(secret)}
    exact = {base64.b64encode(raw).decode(), base64.b64encode(raw).decode().rstrip("="),
             base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return {form.lower() for form in any_case}, exact


def code_pattern(codes):
    """Where a code is a leak and not chance: six (to eight) digits turn up in -vvvv output by the
    thousand (sizes, inodes, ports, PIDs), so a code counts only where a code would be written: as a
    whole token (no letter, digit, dot or dash beside it) that is quoted ('123456' or "123456", as
    codes are strings in results, prompts and argv), or that follows a word of the trade (code, otp,
    token, pin, response, verification) within 40 characters on the same line."""
    alternatives = "|".join(sorted(codes))
    token = r"(?<![0-9A-Za-z.\-])(?:%s)(?![0-9A-Za-z.\-])" % alternatives
    return re.compile(r"[\"'](?:%s)[\"']|(?i:code|otp|token|pin|response|verification)[^\n]{0,40}?%s" % (alternatives, token))


class LeakScan:
    def __init__(self, lab, work):
        self.lab, self.work = lab, work
        self.vault = os.path.join(work, "vault-password")
        with open(self.vault, "w", encoding="utf-8") as fh:
            fh.write(VAULT_PASSWORD + "\n")
        self.escrow = Escrow(os.path.join(work, "escrow"), VAULT_PASSWORD)
        self.qr_dir = os.path.join(work, "qr")
        self.report_dir = os.path.join(work, "report")
        self.log = os.path.join(work, "ansible.log")
        self.runs = []  # (name, start, end, output)
        self.secrets = {}  # secret -> (digits, interval), every secret the escrow ever held

    def remember_secrets(self):
        if os.path.isdir(self.escrow.folder) and self.escrow.hosts():
            for entry in self.escrow.everything().values():
                self.secrets[entry["secret"]] = (entry["digits"], entry["interval"])

    def play(self, name, *extra, expect_ok=True):
        self.remember_secrets()
        start = time.time()
        run = self.lab.run_playbook(
            "fleet2fa.nas." + name, "-vvvv", "--vault-password-file", self.vault,
            "-e", "fleet2fa_escrow_dir=" + self.escrow.folder, "-e", "fleet2fa_qr_dir=" + self.qr_dir,
            "-e", "fleet2fa_report_dir=" + self.report_dir, "-e", "fleet2fa_enroll_from_escrow=true", *extra,
            env={"ANSIBLE_LOG_PATH": self.log})
        self.runs.append((name, start, time.time(), run.stdout + run.stderr))
        self.remember_secrets()
        if expect_ok:
            assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
        else:
            assert run.returncode != 0, run.stdout[-4000:]
        return run

    def codes(self, start, end):
        found = set()
        for secret, (digits, interval) in self.secrets.items():
            otp = pyotp.TOTP(secret, digits=digits, interval=interval)
            for step in range(int(start // interval) - NEAR_STEPS, int(end // interval) + NEAR_STEPS + 1):
                found.add(otp.at(step * interval))
        return found

    def scanned_files(self):
        """{path: text} of the report and QR folders, without SECRET_FILES."""
        found = {}
        for folder in (self.report_dir, self.qr_dir):
            for base, dummy, names in os.walk(folder):
                for name in names:
                    path = os.path.join(base, name)
                    relative = os.path.relpath(path, self.qr_dir)
                    if folder == self.qr_dir and any(fnmatch.fnmatch(relative, p) for p in SECRET_FILES):
                        continue
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        found[path] = fh.read()
        return found

    def leaks(self, where, text, codes):
        """What of the secrets, the URIs and ``codes`` ``text`` holds (named by form, never the value)."""
        found = []
        lowered = text.lower()
        for index, secret in enumerate(sorted(self.secrets)):
            any_case, exact = secret_forms(secret)
            found += ["%s: secret #%d (base32/hex form)" % (where, index) for form in any_case if form in lowered]
            found += ["%s: secret #%d (base64 form)" % (where, index) for form in exact if form in text]
        if URI_RE.search(text):
            found.append("%s: an otpauth URI" % where)
        if codes and code_pattern(codes).search(text):
            found.append("%s: a code of a nearby step" % where)
        return found


@pytest.fixture(scope="module")
def scan(make_lab):
    work = tempfile.mkdtemp(prefix="fleet2fa-leak-")
    lab = make_lab(linux=1)
    scan = LeakScan(lab, work)
    scan.play("rollout")
    scan.play("rollout")
    scan.play("rotate", "-e", '{"fleet2fa_rotate_users": ["root"]}')
    scan.play("verify")
    scan.play("report")
    scan.play("handout")
    scan.play("rollout", "-e", "fleet2fa_root_password=not-the-password", "-e", "fleet2fa_verify=always", expect_ok=False)
    scan.play("disable")
    yield scan
    shutil.rmtree(work, ignore_errors=True)


def test_the_life_cycle_ran_at_vvvv_with_a_log_and_escrowed_two_secrets(scan):
    assert len(scan.secrets) == 2  # the first and the rotated one
    assert all("ansible-playbook [core" in output for dummy, dummy, dummy, output in scan.runs)
    # The runs that change the host reach it through Ansible's ssh at -vvvv (verify, report and handout
    # may prove and write from the controller alone).
    assert all("ESTABLISH SSH CONNECTION" in output for name, dummy, dummy, output in scan.runs
               if name in ("rollout", "rotate", "disable"))
    assert os.path.getsize(scan.log) > 0
    assert os.path.isfile(os.path.join(scan.report_dir, "report.json"))
    assert any(name.startswith("pack-") for dummy, dummy, names in os.walk(scan.qr_dir) for name in names)


def test_no_secret_uri_or_nearby_code_in_any_runs_output(scan):
    leaks = []
    for index, (name, start, end, output) in enumerate(scan.runs):
        leaks += scan.leaks("run %d (%s) output" % (index, name), output, scan.codes(start, end))
    assert leaks == []


def test_no_secret_uri_or_nearby_code_in_the_ansible_log(scan):
    with open(scan.log, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    assert scan.leaks("ANSIBLE_LOG_PATH", text, scan.codes(scan.runs[0][1], scan.runs[-1][2])) == []


def test_no_secret_uri_or_nearby_code_in_the_report_and_handout_files_that_are_not_meant_to_hold_one(scan):
    files = scan.scanned_files()
    assert any(path.endswith("report.html") for path in files) and any(path.endswith("pack.json") for path in files)
    codes = scan.codes(scan.runs[0][1], scan.runs[-1][2])
    assert [leak for path, text in sorted(files.items()) for leak in scan.leaks(path, text, codes)] == []


def test_no_secret_uri_or_nearby_code_in_the_hosts_journal(scan):
    journal = faults.host_exec(scan.lab.name, HOST, "journalctl --no-pager -o cat")
    assert "sshd" in journal
    assert scan.leaks("journal of %s" % HOST, journal, scan.codes(scan.runs[0][1], scan.runs[-1][2])) == []


def test_the_scan_finds_each_form_of_a_planted_secret_and_a_quoted_code_but_not_a_chance_number(tmp_path):
    # Without a lab: the searches above can fail.
    secret = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU"
    scan = LeakScan(None, str(tmp_path))
    scan.secrets[secret] = (6, 30)
    raw = base64.b32decode(secret)
    code = pyotp.TOTP(secret).at(1000 * 30)
    for planted in (secret.lower(), " ".join(secret[i:i + 4] for i in range(0, 32, 4)), binascii.hexlify(raw).decode().upper(),
                    base64.b64encode(raw).decode(), "otpauth://totp/fleet2fa:root@nas1?issuer=fleet2fa"):
        assert scan.leaks("planted", "x %s y" % planted, set()), planted
    assert scan.leaks("planted", '"responses": ["%s"]' % code, {code})
    assert scan.leaks("planted", "Verification code: %s" % code, {code})
    assert not scan.leaks("planted", "size 4%s0 inode %s pid 7; one otpauth:// URI a line" % (code, code), {code})
