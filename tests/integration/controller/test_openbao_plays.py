# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KV v2 and the TOTP engine of a real OpenBao dev server (started by the openbao fixture)."""

from __future__ import annotations

import os
import re
import threading
import time

import hvac
import pyotp
import zxingcpp
from PIL import Image

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow


def same_step(fn, period=30):
    """fn() twice within one time step, so that codes can be compared."""
    for dummy in range(3):
        step = int(time.time() // period)
        value = fn()
        if step == int(time.time() // period):
            return value
    raise AssertionError("time steps kept changing")


def bao_options(openbao, **extra):
    return dict({"backend": "kv", "url": openbao.url, "token": openbao.token}, **extra)


def test_kv_write_once_holds_against_racing_writers(openbao):
    opts = bao_options(openbao, path_prefix="race")
    keys = [TotpKey.generate() for dummy in range(8)]
    results = []

    def writer(key):
        results.append(open_escrow(opts).put_once("nas1", "root", EscrowEntry.new("root", key)))

    threads = [threading.Thread(target=writer, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(created for dummy, created in results) == 1
    assert len({entry.fingerprint for entry, dummy in results}) == 1
    stored = hvac.Client(url=openbao.url, token=openbao.token).secrets.kv.v2.read_secret_version(
        path="race/nas1", mount_point="secret", raise_on_deleted_version=True)["data"]["data"]
    assert stored["users"]["root"]["fingerprint"] == results[0][0].fingerprint


def test_kv_plays_second_writer_keeps_rotation_replaces(ctl, openbao):
    common = {"escrow": bao_options(openbao, path_prefix="plays")}
    task = {"name": "Escrow", "fleet2fa.nas.totp_secret": dict(common)}
    code = {"name": "Code", "ansible.builtin.debug": {"msg": "CODE={{ lookup('fleet2fa.nas.totp_code', inventory_hostname, "
            "escrow={'backend': 'kv', 'url': '%s', 'token': '%s', 'path_prefix': 'plays'}) }}" % (openbao.url, openbao.token)}}
    fingerprint = re.compile(r'"fingerprint": "(sha256:[0-9a-f]+)"')
    first = fingerprint.findall(ctl.run([task], "-v"))
    again = fingerprint.findall(ctl.run([task], "-v"))
    assert first == again and len(first) == 1
    rotated = fingerprint.findall(ctl.run([dict(task, **{"fleet2fa.nas.totp_secret": dict(common, regenerate="always")})], "-v"))
    assert rotated != first
    client = hvac.Client(url=openbao.url, token=openbao.token)
    doc = client.secrets.kv.v2.read_secret_version(path="plays/nas1", mount_point="secret", raise_on_deleted_version=True)
    escrowed = doc["data"]["data"]["users"]["root"]
    assert escrowed["fingerprint"] == rotated[0] and escrowed["rotated"]
    looked_up, expected = same_step(lambda: (re.search(r"CODE=(\d+)", ctl.run([code])).group(1),
                                             pyotp.TOTP(escrowed["secret"]).now()))
    assert looked_up == expected


def test_approle_login_writes_where_its_policy_allows(ctl, openbao):
    escrow = {"backend": "kv", "url": openbao.url, "auth_method": "approle", "role_id": openbao.role_id,
              "secret_id": openbao.secret_id, "path_prefix": "approle"}
    ctl.run([{"name": "Escrow", "fleet2fa.nas.totp_secret": {"escrow": escrow}}])
    out = ctl.run([{"name": "Elsewhere", "fleet2fa.nas.totp_secret": {"escrow": dict(escrow, path_prefix="other")}}],
                  expect_rc=2)
    assert "permission denied" in out
    assert openbao.role_id not in out and openbao.secret_id not in out


def test_wrong_token_is_a_clear_error(ctl, openbao):
    out = ctl.run([{"name": "Escrow", "fleet2fa.nas.totp_secret": {
        "escrow": {"backend": "kv", "url": openbao.url, "token": "s.not-a-token"}}}], expect_rc=2)
    assert "%s: cannot check the token: permission denied" % openbao.url in out


def test_totp_engine_code_equals_pyotp_for_the_same_key(openbao):
    store = open_escrow(bao_options(openbao, backend="totp_engine", path_prefix="engine"))
    key = TotpKey.generate()
    stored, created = store.put_once("nas1", "root", EscrowEntry.new("root", key, account="root@nas1"))
    assert created and stored.key is None and stored.engine_key
    engine_code, pyotp_code = same_step(lambda: (store.code("nas1", "root"), pyotp.TOTP(key.secret).now()))
    assert engine_code == pyotp_code
    # A second writer finds the first key and imports nothing.
    again, created_again = open_escrow(bao_options(openbao, backend="totp_engine", path_prefix="engine")).put_once(
        "nas1", "root", EscrowEntry.new("root", TotpKey.generate()))
    assert not created_again and again.fingerprint == key.fingerprint
    engine_code, pyotp_code = same_step(lambda: (store.code("nas1", "root"), pyotp.TOTP(key.secret).now()))
    assert engine_code == pyotp_code
    # Rotation replaces the key in the engine.
    new_key = TotpKey.generate()
    store.replace("nas1", "root", EscrowEntry.new("root", new_key, account="root@nas1"))
    engine_code, pyotp_code = same_step(lambda: (store.code("nas1", "root"), new_key.now()))
    assert engine_code == pyotp_code and store.get("nas1", "root").fingerprint == new_key.fingerprint
    # The engine keeps the key to itself.
    client = hvac.Client(url=openbao.url, token=openbao.token)
    assert "secret" not in str(client.read("totp/keys/" + stored.engine_key)["data"]).lower()
    assert key.secret not in str(client.secrets.kv.v2.read_secret_version(
        path="engine/nas1", mount_point="secret", raise_on_deleted_version=True))


def test_totp_engine_play_draws_the_qr_at_import_and_verifies_devices(ctl, openbao):
    common = {"escrow": bao_options(openbao, backend="totp_engine", path_prefix="engplay")}
    first = ctl.run([{"name": "Import", "fleet2fa.nas.totp_secret": dict(common, qr_dir=ctl.qr_dir)}])
    assert "changed=1" in first
    (found,) = zxingcpp.read_barcodes(Image.open(os.path.join(ctl.qr_dir, "nas1", "root.png")), formats=zxingcpp.BarcodeFormat.QRCode)
    key, dummy, dummy2 = TotpKey.from_uri(found.text)
    code = {"name": "Code", "ansible.builtin.debug": {"msg": "CODE={{ lookup('fleet2fa.nas.totp_code', inventory_hostname, "
            "escrow={'backend': 'totp_engine', 'url': '%s', 'token': '%s', 'path_prefix': 'engplay'}) }}" % (openbao.url, openbao.token)}}
    looked_up, expected = same_step(lambda: (re.search(r"CODE=(\d+)", ctl.run([code])).group(1), key.now()))
    assert looked_up == expected
    before = ctl.snapshot(ctl.qr_dir)
    assert "changed=0" in ctl.run([{"name": "Again", "fleet2fa.nas.totp_secret": dict(common, qr_dir=ctl.qr_dir)}])
    assert ctl.snapshot(ctl.qr_dir) == before
    enroll = {"name": "Enroll", "fleet2fa.nas.totp_enrollment": dict(common, devices=[{"name": "primary", "code": key.now()}])}
    ctl.run([enroll])
    out = ctl.run([dict(enroll, **{"fleet2fa.nas.totp_enrollment": dict(common, devices=[{"name": "backup", "code": key.now()}])})],
                  expect_rc=None)
    # The same code again: refused by the engine unless the step changed in between.
    assert "refused the code of root as already used" in out or "changed=1" in out
    out = ctl.run([{"name": "QR later", "fleet2fa.nas.totp_qr": dict(common, qr_dir=ctl.qr_dir)}], expect_rc=2)
    assert "lives in the TOTP engine and cannot be read back" in out


def test_roles_take_every_escrow_option_from_fleet2fa_escrow(ctl, openbao):
    """AppRole, its mount and the KV path reach the role's tasks through the one fleet2fa_escrow dict."""
    escrow = {"backend": "kv", "url": openbao.url, "auth_method": "approle", "role_id": openbao.role_id,
              "secret_id": openbao.secret_id, "approle_mount": "approle", "path_prefix": "approle/rotate",
              "validate_certs": True, "timeout": 5}
    ctl.run([{"name": "Escrow", "fleet2fa.nas.totp_secret": {"escrow": escrow}}])
    kv = hvac.Client(url=openbao.url, token=openbao.token).secrets.kv.v2

    def escrowed():
        return kv.read_secret_version(path="approle/rotate/nas1", mount_point="secret",
                                      raise_on_deleted_version=True)["data"]["data"]["users"]["root"]

    before = escrowed()
    out = ctl.run([{"name": "Rotate", "ansible.builtin.include_role": {"name": "fleet2fa.nas.rotate"},
                    "vars": {"fleet2fa_escrow": escrow, "fleet2fa_backend": "linux", "fleet2fa_rotate_apply": False,
                             "fleet2fa_qr_dir": ctl.qr_dir}}])
    after = escrowed()
    assert after["fingerprint"] != before["fingerprint"] and after["rotated"], out
    assert os.path.isfile(os.path.join(ctl.qr_dir, "nas1", "root.png"))
    assert openbao.role_id not in out and openbao.secret_id not in out
