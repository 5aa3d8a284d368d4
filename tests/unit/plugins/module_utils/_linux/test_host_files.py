# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one host file helper: every write goes through the bound module's atomic_move, with the mode and
owner asked for, and leaves no temporary file behind."""

from __future__ import annotations

import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import files


class RecordingModule(AnsibleModule):
    """A real AnsibleModule that also notes each atomic_move (its own code still does the move)."""

    def __init__(self):
        with patch_module_args({}):
            super().__init__(argument_spec={})
        self.moves = []

    def atomic_move(self, src, dest, unsafe_writes=False, keep_dest_attrs=True):
        self.moves.append((os.path.dirname(src), dest, keep_dest_attrs))
        return super().atomic_move(src, dest, unsafe_writes=unsafe_writes, keep_dest_attrs=keep_dest_attrs)


@pytest.fixture
def module():
    made = RecordingModule()
    files.bind(made)
    yield made
    files.bind(None)


def test_a_write_goes_through_atomic_move_and_leaves_no_temporary_file(module, tmp_path):
    path = str(tmp_path / "users.oath")
    files.write_atomically(path, "HOTP/T30/6 root - 00\n", 0o600, os.getuid(), os.getgid())
    assert module.moves == [(str(tmp_path), path, True)]
    assert (tmp_path / "users.oath").read_text() == "HOTP/T30/6 root - 00\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["users.oath"]


def test_a_world_readable_file_is_replaced_with_the_mode_asked_for(module, tmp_path):
    path = tmp_path / "users.oath"
    path.write_text("old\n")
    os.chmod(path, 0o644)
    files.write_atomically(str(path), "new\n", 0o600, os.getuid(), os.getgid())
    assert len(module.moves) == 1
    assert path.read_text() == "new\n" and stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_keeping_the_owner_keeps_mode_and_owner_of_the_file_it_replaces(module, tmp_path):
    path = tmp_path / "sshd_config"
    path.write_text("Port 22\n")
    os.chmod(path, 0o640)
    files.write_keeping_owner(str(path), "Port 2222\n")
    st = os.stat(path)
    assert path.read_text() == "Port 2222\n" and stat.S_IMODE(st.st_mode) == 0o640
    assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())
    assert len(module.moves) == 1


def test_without_a_bound_module_the_write_is_still_atomic(tmp_path):
    files.bind(None)
    path = tmp_path / "drop-in.conf"
    files.write_atomically(str(path), "x\n", 0o600, os.getuid(), os.getgid())
    assert path.read_text() == "x\n" and os.listdir(tmp_path) == ["drop-in.conf"]


def test_a_failed_move_leaves_neither_the_new_file_nor_a_placeholder(module, tmp_path):
    def refuse(src, dest, unsafe_writes=False, keep_dest_attrs=True):
        raise OSError(28, "No space left on device")
    module.atomic_move = refuse
    with pytest.raises(OSError):
        files.write_atomically(str(tmp_path / "users.oath"), "x\n", 0o600, os.getuid(), os.getgid())
    assert os.listdir(tmp_path) == []
