# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import FileWriteError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._qr import QrFiles


def decode_png(path):
    found = zxingcpp.read_barcodes(Image.open(path), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, path
    return found[0].text


@pytest.mark.parametrize("digits, period", [(6, 30), (7, 30), (8, 60)])
def test_png_decodes_to_the_uri_of_the_escrowed_key(tmp_path, digits, period):
    key = TotpKey.generate(digits, period)
    files = QrFiles(str(tmp_path / "qr"))
    files.write("nas1", "root", key.uri("root@nas1", "fleet2fa"))
    uri = decode_png(tmp_path / "qr" / "nas1" / "root.png")
    decoded, account, issuer = TotpKey.from_uri(uri)
    assert decoded == key  # secret, digits and period
    assert (account, issuer) == ("root@nas1", "fleet2fa")


@pytest.mark.skipif(not shutil.which("oathtool"), reason="oathtool is not installed")
def test_oathtool_on_the_hex_of_the_decoded_secret_gives_our_code(tmp_path):
    key = TotpKey.generate()
    QrFiles(str(tmp_path)).write("nas1", "root", key.uri("root@nas1", "fleet2fa"))
    decoded, dummy, dummy2 = TotpKey.from_uri(decode_png(tmp_path / "nas1" / "root.png"))
    for dummy3 in range(3):  # a step boundary between the two calls: ask again
        ours = key.now()
        theirs = subprocess.run(["oathtool", "--totp", decoded.hex], check=True, capture_output=True, text=True).stdout.strip()
        if ours == key.now():
            break
    assert theirs == ours


def test_svg_is_well_formed(tmp_path):
    QrFiles(str(tmp_path)).write("nas1", "root", TotpKey.generate().uri("root@nas1", "fleet2fa"))
    assert ET.parse(tmp_path / "nas1" / "root.svg").getroot().tag.endswith("svg")


def test_files_are_0600_in_0700_folders_and_a_second_write_changes_nothing(tmp_path):
    files = QrFiles(str(tmp_path / "qr"))
    uri = TotpKey.generate().uri("root@nas1", "fleet2fa")
    written = files.write("nas1", "root", uri)
    assert len(written) == 2
    for folder in (tmp_path / "qr", tmp_path / "qr" / "nas1"):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    mtimes = {}
    for path in written:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        mtimes[path] = os.stat(path).st_mtime_ns
    assert files.write("nas1", "root", uri) == []
    assert {p: os.stat(p).st_mtime_ns for p in written} == mtimes


def test_rendering_is_deterministic():
    uri = TotpKey.generate().uri("root@nas1", "fleet2fa")
    assert QrFiles.render(uri) == QrFiles.render(uri)


def test_a_new_key_rewrites_both_files_and_check_mode_writes_nothing(tmp_path):
    files = QrFiles(str(tmp_path))
    files.write("nas1", "root", TotpKey.generate().uri("root@nas1", "fleet2fa"))
    before = {p: open(p, "rb").read() for p in files.paths("nas1", "root").values()}
    new_uri = TotpKey.generate().uri("root@nas1", "fleet2fa")
    assert sorted(files.write("nas1", "root", new_uri, check_mode=True)) == sorted(before)
    assert {p: open(p, "rb").read() for p in before} == before
    assert sorted(files.write("nas1", "root", new_uri)) == sorted(before)


@pytest.mark.parametrize("host", ["../x", "/", "..", "a/../../b"])
def test_host_that_would_leave_qr_dir_is_refused_and_nothing_written(tmp_path, host):
    qr_dir = tmp_path / "qr"
    with pytest.raises(EscrowError, match="cannot be used"):
        QrFiles(str(qr_dir)).write(host, "root", TotpKey.generate().uri("root@x", "fleet2fa"))
    assert os.listdir(tmp_path) == []


def test_qr_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "qr").write_text("not a folder")
    with pytest.raises(FileWriteError, match="is not a directory; nothing was written"):
        QrFiles(str(tmp_path / "qr")).write("nas1", "root", TotpKey.generate().uri("root@x", "fleet2fa"))
    assert (tmp_path / "qr").read_text() == "not a folder"


def test_qr_dir_that_cannot_be_created_is_refused():
    with pytest.raises(FileWriteError, match="nothing was written"):
        QrFiles("/proc/fleet2fa-qr").write("nas1", "root", TotpKey.generate().uri("root@x", "fleet2fa"))


def test_terminal_drawing_goes_to_the_tty_only_and_says_when_there_is_none(tmp_path):
    tty = tmp_path / "tty"
    uri = TotpKey.generate().uri("root@nas1", "fleet2fa")
    assert QrFiles.draw_on_terminal(uri, "root on nas1", tty=str(tty))
    drawing = tty.read_text()
    assert drawing.startswith("\nroot on nas1\n") and len(drawing.splitlines()) > 20
    assert uri not in drawing
    assert not QrFiles.draw_on_terminal(uri, "root on nas1", tty=str(tmp_path / "no" / "tty"))
