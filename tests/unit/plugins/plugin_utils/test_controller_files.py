# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's file helper refuses folders that would send files elsewhere or let others in."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import FileWriteError, check_dir, differs, write_files


def test_a_missing_folder_is_made_0700_with_0600_files(tmp_path):
    folder = str(tmp_path / "out")
    assert write_files(folder, {"a.json": b"{}"}, option="report_dir") == [os.path.join(folder, "a.json")]
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(folder, "a.json")).st_mode) == 0o600


def test_a_folder_only_too_open_for_reading_is_tightened(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    os.chmod(folder, 0o755)
    write_files(str(folder), {"a": b"x"})
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def test_a_symlinked_folder_is_refused_even_in_check_mode(tmp_path):
    (tmp_path / "real").mkdir(mode=0o700)
    os.symlink(tmp_path / "real", tmp_path / "link")
    with pytest.raises(FileWriteError, match=r"^qr_dir: .*/link is a symbolic link; it is not followed"):
        write_files(str(tmp_path / "link"), {"a": b"x"}, check_mode=True, option="qr_dir")
    assert os.listdir(tmp_path / "real") == []


def test_a_dangling_symlink_is_refused_not_created(tmp_path):
    os.symlink(tmp_path / "nowhere", tmp_path / "link")
    with pytest.raises(FileWriteError, match="is a symbolic link"):
        write_files(str(tmp_path / "link"), {"a": b"x"}, option="report_dir")
    assert not os.path.exists(tmp_path / "nowhere")


def test_a_world_writable_folder_is_refused_and_keeps_its_mode(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    os.chmod(folder, 0o777)
    with pytest.raises(FileWriteError, match=r"report_dir: .* may be written by group and others \(mode 0777\)"):
        write_files(str(folder), {"a": b"x"}, option="report_dir")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o777 and os.listdir(folder) == []


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(FileWriteError, match="exists and is not a directory"):
        check_dir(str(tmp_path / "out"), "report_dir")


def test_a_symlink_in_a_files_place_differs_and_is_replaced_not_followed(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"x")
    os.chmod(target, 0o600)
    folder = tmp_path / "out"
    folder.mkdir(mode=0o700)
    os.symlink(target, folder / "a")
    assert differs(str(folder / "a"), b"x")
    write_files(str(folder), {"a": b"new"})
    assert target.read_bytes() == b"x" and (folder / "a").read_bytes() == b"new"
    assert not os.path.islink(folder / "a")
