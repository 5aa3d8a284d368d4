# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook against localhost hosts with the file backend: what a user would check by hand."""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse

import pytest
import yaml
import zxingcpp
from PIL import Image

from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey


def rollout_tasks(ctl, users=("root", "admin")):
    tasks = []
    for user in users:
        common = {"user": user, "escrow": {"dir": ctl.escrow_dir}}
        tasks += [
            {"name": "Escrow the secret of %s" % user, "fleet2fa.nas.totp_secret": dict(common)},
            {"name": "QR files of %s" % user, "fleet2fa.nas.totp_qr": dict(common, qr_dir=ctl.qr_dir)},
            {"name": "Lab enrollment of %s" % user, "fleet2fa.nas.totp_enrollment": dict(
                common, devices=[{"name": "primary"}, {"name": "backup"}], verify_from_escrow_for_labs=True)},
            {"name": "Two devices for %s" % user, "fleet2fa.nas.totp_enrollment": dict(common, check_min_devices=True)},
        ]
    return tasks


def recap_changed(output):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", output, re.M)}


def test_second_run_changes_nothing_not_even_mtimes(ctl):
    ctl.inventory(["nas1", "nas2"])
    first = ctl.run(rollout_tasks(ctl))
    assert recap_changed(first) == {"nas1": 6, "nas2": 6}
    before = ctl.snapshot()
    assert len([p for p in before if p.endswith((".png", ".svg"))]) == 8
    second = ctl.run(rollout_tasks(ctl))
    assert recap_changed(second) == {"nas1": 0, "nas2": 0}
    assert ctl.snapshot() == before
    doc = ctl.view("nas1")
    assert [d["name"] for d in doc["users"]["root"]["devices"]] == ["primary", "backup"]


def decode_png(path):
    (found,) = zxingcpp.read_barcodes(Image.open(path), formats=zxingcpp.BarcodeFormat.QRCode)
    return found.text


@pytest.mark.skipif(not shutil.which("oathtool"), reason="oathtool is not installed")
def test_qr_escrow_oathtool_and_lookup_agree(ctl):
    ctl.run(rollout_tasks(ctl, users=("root",)))
    escrowed = ctl.view("nas1")["users"]["root"]
    key, account, issuer = TotpKey.from_uri(decode_png(os.path.join(ctl.qr_dir, "nas1", "root.png")))
    assert (key.secret, key.digits, key.period) == (escrowed["secret"], escrowed["digits"], escrowed["interval"])
    assert (account, issuer) == ("root@nas1", "fleet2fa")
    task = {"name": "Code", "ansible.builtin.debug": {
        "msg": "CODE={{ lookup('fleet2fa.nas.totp_code', inventory_hostname, user='root', escrow={'dir': '%s'}) }}" % ctl.escrow_dir}}
    for dummy in range(3):  # retry when a time step ends between the two
        step = int(time.time() // 30)
        looked_up = re.search(r"CODE=(\d+)", ctl.run([task])).group(1)
        oath = subprocess.run(["oathtool", "--totp", key.hex], capture_output=True, text=True, check=True).stdout.strip()
        if step == int(time.time() // 30):
            break
    assert looked_up == oath


def test_fifty_forks_make_fifty_decryptable_files(ctl):
    hosts = ["nas%02d" % i for i in range(50)]
    ctl.inventory(hosts)
    tasks = [{"name": "Escrow", "fleet2fa.nas.totp_secret": {"user": "{{ fleet2fa_user }}", "escrow": {"dir": ctl.escrow_dir}}}]
    started = time.monotonic()
    # Two plays at once, each with 50 forks, each adding one user to the same 50 files.
    runs = [ctl.run(tasks, "--forks", "50", "-e", "fleet2fa_user=%s" % user, name="%s.yml" % user, background=True)
            for user in ("root", "admin")]
    outputs = [r.communicate(timeout=300)[0] for r in runs]
    elapsed = time.monotonic() - started
    assert [r.returncode for r in runs] == [0, 0], outputs
    files = sorted(f for f in os.listdir(ctl.escrow_dir) if f.endswith(".yml"))
    assert files == ["%s.yml" % h for h in hosts]
    vault = VaultLib([("default", VaultSecret(ctl.vault_password.encode()))])
    fingerprints = set()
    for host in hosts:
        with open(os.path.join(ctl.escrow_dir, host + ".yml"), "rb") as f:
            doc = yaml.safe_load(vault.decrypt(f.read()))
        assert sorted(doc["users"]) == ["admin", "root"]
        fingerprints |= {u["fingerprint"] for u in doc["users"].values()}
    assert len(fingerprints) == 100
    print("50 hosts x 2 concurrent plays, forks 50: %.1f s" % elapsed)


def secret_forms(secret):
    key = TotpKey(secret)
    uri = key.uri("root@nas1", "fleet2fa")
    forms = {secret, secret.lower(), key.hex, key.hex.lower(), uri, urllib.parse.quote(uri, safe=""),
             base64.b32encode(base64.b32decode(secret + "=" * (-len(secret) % 8))).decode()}
    return forms | {secret[i:i + 16] for i in range(0, len(secret) - 15, 8)}


def test_no_secret_in_any_form_at_vvvv(ctl):
    tasks = rollout_tasks(ctl, users=("root",)) + [
        {"name": "Hand the secret on", "ansible.builtin.set_fact": {
            "fleet2fa_secret": "{{ lookup('fleet2fa.nas.totp_escrow', inventory_hostname, escrow={'dir': '%s'}) }}" % ctl.escrow_dir},
         "no_log": True},
        {"name": "Wrong code", "fleet2fa.nas.totp_enrollment": {
            "escrow": {"dir": ctl.escrow_dir}, "devices": [{"name": "third", "code": "000000"}]}, "ignore_errors": True},
        {"name": "Rotate", "fleet2fa.nas.totp_secret": {"escrow": {"dir": ctl.escrow_dir}, "regenerate": "always", "qr_dir": ctl.qr_dir}},
        {"name": "Diff and check", "fleet2fa.nas.totp_secret": {"escrow": {"dir": ctl.escrow_dir}, "regenerate": "always"},
         "check_mode": True, "diff": True},
        {"name": "Break-glass code", "ansible.builtin.debug": {
            "msg": "{{ lookup('fleet2fa.nas.totp_code', inventory_hostname, escrow={'dir': '%s'}) }}" % ctl.escrow_dir}},
    ]
    first = ctl.run(tasks[:4], "-vvvv")
    old_secret = ctl.view("nas1")["users"]["root"]["secret"]
    rest = ctl.run(tasks, "-vvvv", "--diff")
    new_secret = ctl.view("nas1")["users"]["root"]["secret"]
    assert new_secret != old_secret
    output = first + rest
    assert "ANSIBLE_VAULT" not in output
    for form in secret_forms(old_secret) | secret_forms(new_secret):
        assert form not in output


def process_tree(root):
    """``root`` and all its descendants, from the parent links in /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_play_killed_with_sigkill_mid_rotation_leaves_a_whole_escrow(ctl):
    ctl.run([{"name": "Escrow", "fleet2fa.nas.totp_secret": {"escrow": {"dir": ctl.escrow_dir}}}])
    rotate = [{"name": "Rotate", "fleet2fa.nas.totp_secret": {"escrow": {"dir": ctl.escrow_dir}, "regenerate": "always"},
               "loop": "{{ range(500) | list }}"}]
    play = ctl.run(rotate, name="rotate.yml", background=True)
    path = os.path.join(ctl.escrow_dir, "nas1.yml")
    first = os.stat(path).st_mtime_ns
    deadline = time.monotonic() + 60
    while os.stat(path).st_mtime_ns == first and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # in the middle of the rotations
    # The play and every process under it, as a power cut would. Ansible's worker forks start
    # sessions of their own, so killing the play's process group would leave them running.
    tree = process_tree(play.pid)
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    play.communicate()
    deadline = time.monotonic() + 10
    while [pid for pid in tree if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in tree if _alive(pid)], "processes of the killed play are still running"
    assert ctl.view("nas1")["users"]["root"]["rotated"]
    # The lock died with the writer: the next play goes straight through.
    ctl.run([{"name": "Escrow admin", "fleet2fa.nas.totp_secret": {"user": "admin", "escrow": {"dir": ctl.escrow_dir}}}])
    assert sorted(ctl.view("nas1")["users"]) == ["admin", "root"]


def test_check_mode_reports_changes_and_writes_nothing(ctl):
    out = ctl.run(rollout_tasks(ctl, users=("root",))[:1] + [
        {"name": "QR at creation", "fleet2fa.nas.totp_secret": {"escrow": {"dir": ctl.escrow_dir}, "qr_dir": ctl.qr_dir}}],
        "--check", "--diff")
    assert recap_changed(out) == {"nas1": 2}
    assert not os.path.exists(ctl.escrow_dir) and not os.path.exists(ctl.qr_dir)
    ctl.run(rollout_tasks(ctl, users=("root",)))
    before = ctl.snapshot()
    out = ctl.run([{"name": "Rotate", "fleet2fa.nas.totp_secret": {"escrow": {"dir": ctl.escrow_dir}, "regenerate": "always"}}],
                  "--check")
    assert recap_changed(out) == {"nas1": 1}
    assert ctl.snapshot() == before
