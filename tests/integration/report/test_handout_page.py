# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The handout's index.html as an admin sees it: playbooks/handout.yml on 23 hosts (Linux and TrueNAS
entries, one key a transfer code cannot carry), loaded in headless Chromium at 1280 px; the transfer
codes are read back with zxing-cpp from the browser's screenshot, as a phone would read the screen."""

from __future__ import annotations

import io
import os
import stat
import sys

import pytest
import zxingcpp
from PIL import Image

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey, secret_bytes
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry
from controller_plays import PLAYBOOKS, Controller

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "browser"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "unit", "plugins", "plugin_utils"))
from headless import Browser  # noqa: E402  pylint: disable=wrong-import-position
from migration_decoder import decode_uri  # noqa: E402  pylint: disable=wrong-import-position

LINUX = ["lin%02d-storage.example.internal" % i for i in range(1, 19)]
TRUENAS = ["tn2410-%d" % i for i in range(1, 5)]
SLOW = "lin60s-legacy"  # a 60 s key: only in otpauth.txt and aegis.json


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("handout-page"))
    made = Controller(root, {"linux": {h: {} for h in LINUX + [SLOW]}, "truenas": {h: {} for h in TRUENAS}})
    for host in LINUX:
        made.escrow(host, "root", devices=("primary", "backup"))
    for host in TRUENAS:
        key = TotpKey.generate()
        made.store.put_once(host, "root", EscrowEntry.from_uri("root", key.uri("root-%s@TrueNAS" % host, "iXsystems")))
    made.store.put_once(SLOW, "root", EscrowEntry.new("root", TotpKey.generate(6, 60), account="root@" + SLOW))
    made.qr_dir = os.path.join(root, "qr")
    rc, out = made.play(os.path.join(PLAYBOOKS, "handout.yml"), "-e", "fleet2fa_qr_dir=%s" % made.qr_dir,
                        "-e", "fleet2fa_enroll_from_escrow=true")
    assert rc == 0, out[-5000:]
    made.output = out
    made.folder = os.path.join(made.qr_dir, "packs", "root")
    return made


@pytest.fixture(scope="module")
def loaded(handout):
    with Browser() as browser:
        yield browser.load(os.path.join(handout.folder, "index.html"), width=1280, height=900)


def test_the_handout_page_loads_clean_and_fits_1280_px(loaded):
    assert loaded.console_errors == []  # a missing PNG would be a console error
    assert not loaded.scrolls_horizontally, (loaded.scroll_width, loaded.viewport_width)
    width, height = loaded.screenshot_size
    assert width == 1280 and height > 3 * 320, loaded.screenshot_size  # three codes, one under the other


def test_the_codes_read_off_the_screen_carry_one_label_scheme_and_the_escrowed_secrets(handout, loaded):
    shot = Image.open(io.BytesIO(loaded.screenshot))
    found = zxingcpp.read_barcodes(shot, formats=zxingcpp.BarcodeFormat.QRCode)
    payloads = {}
    for code in found:
        payload = decode_uri(code.text)
        payloads[payload["batch_index"]] = payload
    assert sorted(payloads) == [0, 1, 2], [c.text[:40] for c in found]
    seen = {}
    for index, payload in payloads.items():
        assert payload["batch_size"] == 3
        for account in payload["otp_parameters"]:
            seen[(account["issuer"], account["name"])] = account["secret"]
    expected = {("fleet2fa", "root@%s" % host): secret_bytes(handout.store.get(host, "root").key.secret)
                for host in LINUX + TRUENAS}
    assert seen == expected


def test_every_file_of_the_pack_is_private_and_the_page_names_the_secret_files(handout):
    assert stat.S_IMODE(os.stat(handout.folder).st_mode) == 0o700
    for name in os.listdir(handout.folder):
        assert stat.S_IMODE(os.stat(os.path.join(handout.folder, name)).st_mode) == 0o600, name
    with open(os.path.join(handout.folder, "index.html"), encoding="utf-8") as f:
        page = f.read()
    assert "<code>otpauth.txt</code>" in page and "<code>aegis.json</code>" in page
    assert "These codes hold the secrets." in page
    assert "%s: in <code>otpauth.txt</code> and <code>aegis.json</code> too." % SLOW in page


def test_the_uri_list_holds_every_readable_key_under_the_app_label(handout):
    with open(os.path.join(handout.folder, "otpauth.txt"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    hosts = sorted(LINUX + TRUENAS + [SLOW])
    assert [line.split("?")[0] for line in lines] == ["otpauth://totp/fleet2fa:root%%40%s" % h for h in hosts]
    slow = next(line for line in lines if SLOW in line)
    assert "period=60" in slow and handout.store.get(SLOW, "root").key.secret in slow


def test_no_secret_in_the_play_output(handout):
    for host in LINUX + TRUENAS + [SLOW]:
        key = handout.store.get(host, "root").key
        assert key.secret not in handout.output and key.hex not in handout.output
