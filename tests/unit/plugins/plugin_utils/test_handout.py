# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json
import os
import random

import pytest
import zxingcpp
from migration_decoder import decode_uri
from PIL import Image

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey, secret_bytes
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _handout as handout
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry


def fill(store, count, user="root", digits=6, period=30, start=0):
    for i in range(start, start + count):
        host = "nas%02d" % i
        store.put_once(host, user, EscrowEntry.new(user, TotpKey.generate(digits, period), account="%s@%s" % (user, host)))
    return ["nas%02d" % i for i in range(start, start + count)]


def make(store, qr_dir, hosts, user="root", batch_size=10):
    accounts, skipped, missing, others = handout.collect(store, user, hosts)
    files, manifest = handout.pack_files(user, accounts, skipped, missing, others, batch_size)
    written = handout.write_pack(handout.pack_dir(qr_dir, user), files, manifest, skipped)
    return manifest, skipped, missing, written


@pytest.mark.parametrize("count, batches", [(1, 1), (10, 1), (23, 3)])
def test_every_png_decodes_to_exactly_the_escrowed_secrets_of_its_batch(store, tmp_path, count, batches):
    hosts = fill(store, count)
    manifest, _skipped, _missing, _written = make(store, str(tmp_path / "qr"), hosts)
    folder = tmp_path / "qr" / "packs" / "root"
    assert len(manifest["batches"]) == batches
    seen = []
    for batch in manifest["batches"]:
        found = zxingcpp.read_barcodes(Image.open(folder / batch["png"]), formats=zxingcpp.BarcodeFormat.QRCode)
        texts = {code.text for code in found}  # the one symbol may be read twice (rotation tries)
        assert len(texts) == 1
        payload = decode_uri(texts.pop())
        assert 1 <= len(payload["otp_parameters"]) <= 10
        assert (payload["batch_size"], payload["batch_index"], payload["batch_id"]) == (
            batches, batch["index"] - 1, manifest["batch_id"])
        expected = [(secret_bytes(store.get(a["host"], "root").key.secret), "root@%s" % a["host"], "fleet2fa")
                    for a in batch["accounts"]]
        assert [(p["secret"], p["name"], p["issuer"]) for p in payload["otp_parameters"]] == expected
        seen.extend(a["host"] for a in batch["accounts"])
    assert seen == sorted(hosts)


def test_files_are_private_and_a_second_run_writes_nothing(store, tmp_path):
    hosts = fill(store, 12)
    written = make(store, str(tmp_path / "qr"), hosts)[3]
    folder = tmp_path / "qr" / "packs" / "root"
    assert sorted(os.path.basename(p) for p in written) == [
        "aegis.json", "index.html", "otpauth.txt", "pack-1-of-2.png", "pack-1-of-2.svg", "pack-2-of-2.png",
        "pack-2-of-2.svg", "pack.json"]
    for path in (tmp_path / "qr", tmp_path / "qr" / "packs", folder):
        assert os.stat(path).st_mode & 0o777 == 0o700
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in written)
    mtimes = {p: os.stat(p).st_mtime_ns for p in written}
    assert make(store, str(tmp_path / "qr"), hosts)[3] == []
    assert mtimes == {p: os.stat(p).st_mtime_ns for p in written}


def test_a_smaller_pack_removes_the_codes_of_the_larger_one(store, tmp_path):
    hosts = fill(store, 12)
    make(store, str(tmp_path / "qr"), hosts)
    make(store, str(tmp_path / "qr"), hosts[:5])
    assert sorted(os.listdir(tmp_path / "qr" / "packs" / "root")) == [
        "aegis.json", "index.html", "otpauth.txt", "pack-1-of-1.png", "pack-1-of-1.svg", "pack.json"]


def test_keys_with_7_digits_or_60_seconds_are_skipped_with_the_reason(store, tmp_path):
    hosts = fill(store, 2) + fill(store, 1, digits=7, start=2) + fill(store, 1, period=60, start=3)
    manifest, skipped, _missing, _written = make(store, str(tmp_path / "qr"), hosts + ["nosecret"])
    assert [a["host"] for a in manifest["batches"][0]["accounts"]] == ["nas00", "nas01"]
    assert [s["host"] for s in skipped] == ["nas02", "nas03"]
    assert "7 digits" in skipped[0]["reason"] and "60 s" in skipped[1]["reason"]
    with pytest.raises(handout.HandoutError, match="root on nas02 cannot go into a transfer code"):
        handout.collect(store, "root", hosts, unsupported="fail")
    assert handout.collect(store, "root", hosts + ["nosecret"])[2] == ["nosecret"]


def test_the_manifest_holds_fingerprints_and_no_secret(store, tmp_path):
    hosts = fill(store, 3)
    make(store, str(tmp_path / "qr"), hosts)
    text = (tmp_path / "qr" / "packs" / "root" / "pack.json").read_text()
    for host in hosts:
        key = store.get(host, "root").key
        assert key.secret not in text and key.hex not in text and key.hex.lower() not in text
        assert key.fingerprint in text
    assert json.loads(text)["user"] == "root"


def test_spot_check_accepts_current_codes_and_names_the_hosts_with_wrong_ones(store):
    hosts = fill(store, 5)
    picked = handout.pick_spot_hosts(hosts, 3, random.Random(4))
    assert len(picked) == 3 and set(picked) <= set(hosts)
    good = {h: store.code(h, "root") for h in picked}
    assert handout.check_codes(store, "root", hosts, good, 3) == sorted(picked)
    bad = dict(good)
    bad[picked[1]] = "%06d" % ((int(good[picked[1]]) + 1) % 1000000)
    with pytest.raises(handout.HandoutError, match="failed on %s:" % picked[1]) as failure:
        handout.check_codes(store, "root", hosts, bad, 3)
    assert good[picked[0]] not in str(failure.value)


def test_spot_check_wants_enough_hosts_of_the_pack(store):
    hosts = fill(store, 5)
    with pytest.raises(handout.HandoutError, match="needs codes from 3 hosts of the pack, got 1"):
        handout.check_codes(store, "root", hosts, {hosts[0]: store.code(hosts[0], "root")}, 3)
    with pytest.raises(handout.HandoutError, match="elsewhere, which is not in the pack"):
        handout.check_codes(store, "root", hosts, {"elsewhere": "123456"}, 1)
    assert handout.check_codes(store, "root", hosts[:1], {hosts[0]: store.code(hosts[0], "root")}, 3) == hosts[:1]


def truenas_entry(store, host, user="root"):
    """An entry as a TrueNAS box escrows it: the box's own label and issuer."""
    key = TotpKey.generate()
    entry = EscrowEntry.from_uri(user, key.uri("%s-%s@TrueNAS" % (user, host), "iXsystems"))
    store.put_once(host, user, entry)
    return store.get(host, user)


def test_every_app_facing_file_shows_one_label_scheme_on_linux_and_truenas(store, tmp_path):
    hosts = fill(store, 2)
    box = truenas_entry(store, "tn2410-1")
    assert (box.issuer, box.account) == ("iXsystems", "root-tn2410-1@TrueNAS")  # kept in the escrow
    make(store, str(tmp_path / "qr"), hosts + ["tn2410-1"])
    folder = tmp_path / "qr" / "packs" / "root"
    found = zxingcpp.read_barcodes(Image.open(folder / "pack-1-of-1.png"), formats=zxingcpp.BarcodeFormat.QRCode)
    payload = decode_uri(found[0].text)
    assert [(p["issuer"], p["name"]) for p in payload["otp_parameters"]] == [
        ("fleet2fa", "root@nas00"), ("fleet2fa", "root@nas01"), ("fleet2fa", "root@tn2410-1")]
    uris = (folder / "otpauth.txt").read_text().splitlines()
    assert [u.split("?")[0] for u in uris] == [
        "otpauth://totp/fleet2fa:root%40nas00", "otpauth://totp/fleet2fa:root%40nas01",
        "otpauth://totp/fleet2fa:root%40tn2410-1"]
    aegis = json.loads((folder / "aegis.json").read_text())
    assert [(e["issuer"], e["name"]) for e in aegis["db"]["entries"]] == [
        ("fleet2fa", "root@nas00"), ("fleet2fa", "root@nas01"), ("fleet2fa", "root@tn2410-1")]
    for name in ("index.html", "pack.json", "otpauth.txt", "aegis.json"):
        assert "TrueNAS" not in (folder / name).read_text() and "iXsystems" not in (folder / name).read_text()


def test_the_aegis_file_is_a_plain_aegis_vault_with_the_escrowed_keys(store, tmp_path):
    hosts = fill(store, 2) + fill(store, 1, period=60, start=2)
    make(store, str(tmp_path / "qr"), hosts)
    aegis = json.loads((tmp_path / "qr" / "packs" / "root" / "aegis.json").read_text())
    # beemdevelopment/Aegis docs/vault.md: null slots and params mark a vault that is not encrypted.
    assert aegis["version"] == 1 and aegis["header"] == {"slots": None, "params": None}
    assert aegis["db"]["version"] == 1
    entries = aegis["db"]["entries"]
    assert len(entries) == 3  # the 60 s key cannot go into a transfer code, but Aegis takes it
    for entry, host in zip(entries, hosts):
        key = store.get(host, "root").key
        assert entry["type"] == "totp" and entry["icon"] is None
        assert entry["info"] == {"secret": key.secret, "algo": "SHA1", "digits": key.digits, "period": key.period}
    assert len({e["uuid"] for e in entries}) == 3
    first = (tmp_path / "qr" / "packs" / "root" / "aegis.json").read_bytes()
    make(store, str(tmp_path / "qr"), hosts)
    assert (tmp_path / "qr" / "packs" / "root" / "aegis.json").read_bytes() == first


def test_the_page_captions_each_code_and_holds_no_secret(store, tmp_path):
    hosts = fill(store, 12) + ["nosecret"]
    manifest = make(store, str(tmp_path / "qr"), hosts)[0]
    page = (tmp_path / "qr" / "packs" / "root" / "index.html").read_text()
    assert "Transfer code 1 of 2</strong> &middot; 10 accounts" in page
    assert "Transfer code 2 of 2</strong> &middot; 2 accounts" in page
    assert '<img src="pack-1-of-2.png"' in page and '<img src="pack-2-of-2.png"' in page
    for batch in manifest["batches"]:
        for account in batch["accounts"]:
            assert '<td>%s</td><td>fleet2fa: root@%s</td><td><code class="fp">%s</code></td>' % (
                account["host"], account["host"], account["fingerprint"]) in page
    assert "Google Authenticator" in page and "Aegis" in page and "Spot check" in page
    assert "nosecret: provision these hosts first" in page
    for host in hosts[:-1]:
        key = store.get(host, "root").key
        assert key.secret not in page and key.hex not in page and key.hex.lower() not in page
