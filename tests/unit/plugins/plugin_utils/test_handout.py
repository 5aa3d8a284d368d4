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
    accounts, skipped, missing = handout.collect(store, user, hosts)
    files, manifest = handout.render_pack(user, accounts, batch_size)
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
        "pack-1-of-2.png", "pack-1-of-2.svg", "pack-2-of-2.png", "pack-2-of-2.svg", "pack.json"]
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
    assert sorted(os.listdir(tmp_path / "qr" / "packs" / "root")) == ["pack-1-of-1.png", "pack-1-of-1.svg", "pack.json"]


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
