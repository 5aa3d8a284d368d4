# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file escrow refuses folders and files that could send a secret elsewhere or let someone in.

Each refusal names the option (escrow.dir) and the problem, and leaves every file, link and mode of
the tree as it was (a hash of the whole tree before and after).
"""

from __future__ import annotations

import hashlib
import os

import pytest
from ansible.parsing.vault import VaultSecret

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry, EscrowError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import FileWriteError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._qr import QrFiles

NOBODY = 65534
VAULT_SECRETS = [("default", VaultSecret(b"correct horse battery staple"))]


def tree_state(root):
    """Every path under ``root`` with its kind, mode, owner and content hash (links by their target)."""
    state = {}
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files) + ([""] if folder == root else []):
            path = os.path.join(folder, name) if name else folder
            st = os.lstat(path)
            if os.path.islink(path):
                what = "link->" + os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    what = hashlib.sha256(f.read()).hexdigest()
            else:
                what = "dir"
            state[os.path.relpath(path, root)] = (what, st.st_mode, st.st_uid)
    return state


def entry():
    return EscrowEntry.new("root", TotpKey.generate(), account="root@nas1")


def written_store(path):
    store = open_escrow({"dir": path}, vault_secrets=VAULT_SECRETS)
    store.put_once("nas1", "root", entry())
    return store


def attempts(store):
    """Every way a play reaches the escrow: reads and writes."""
    return {
        "get": lambda: store.get("nas1", "root"),
        "put_once": lambda: store.put_once("nas2", "root", entry()),
        "replace": lambda: store.replace("nas1", "root", entry()),
    }


@pytest.mark.parametrize("how", ["get", "put_once", "replace"])
def test_a_symlinked_escrow_dir_is_refused_and_its_target_untouched(tmp_path, how):
    real = str(tmp_path / "real")
    written_store(real)
    link = str(tmp_path / "escrow")
    os.symlink(real, link)
    before = tree_state(str(tmp_path))
    with pytest.raises(EscrowError, match=r"escrow\.dir: .*escrow is a symbolic link; it is not followed"):
        attempts(open_escrow({"dir": link}, vault_secrets=VAULT_SECRETS))[how]()
    assert tree_state(str(tmp_path)) == before


@pytest.mark.parametrize("how", ["get", "put_once", "replace"])
def test_an_escrow_dir_owned_by_another_user_is_refused(tmp_path, how):
    if os.geteuid() != 0:
        pytest.skip("needs root to give the folder to another user")
    path = str(tmp_path / "escrow")
    store = written_store(path)
    os.chown(path, NOBODY, NOBODY)
    before = tree_state(str(tmp_path))
    with pytest.raises(EscrowError, match=r"escrow\.dir: .* is owned by uid 65534, not by the user running Ansible"):
        attempts(store)[how]()
    assert tree_state(str(tmp_path)) == before


@pytest.mark.parametrize("mode, who", [(0o777, "group and others"), (0o770, "its group"), (0o703, "others")])
@pytest.mark.parametrize("how", ["get", "put_once", "replace"])
def test_a_group_or_world_writable_escrow_dir_is_refused_not_chmodded(tmp_path, mode, who, how):
    path = str(tmp_path / "escrow")
    store = written_store(path)
    os.chmod(path, mode)
    before = tree_state(str(tmp_path))
    with pytest.raises(EscrowError, match=r"escrow\.dir: .* may be written by %s \(mode %04o\); make it 0700" % (who, mode)):
        attempts(store)[how]()
    assert tree_state(str(tmp_path)) == before


def test_a_dangling_symlink_at_the_lock_file_is_refused_and_nothing_is_created(tmp_path):
    path = str(tmp_path / "escrow")
    store = written_store(path)
    planted = str(tmp_path / "elsewhere" / "created-as-root")
    os.mkdir(os.path.dirname(planted))
    os.unlink(os.path.join(path, ".nas1.yml.lock"))  # the lock the first write left
    os.symlink(planted, os.path.join(path, ".nas1.yml.lock"))
    before = tree_state(str(tmp_path))
    with pytest.raises(EscrowError, match=r"escrow\.dir: lock file .*\.nas1\.yml\.lock is a symbolic link; it is not followed"):
        store.replace("nas1", "root", entry())
    assert not os.path.lexists(planted)
    assert tree_state(str(tmp_path)) == before


def test_a_symlink_at_the_lock_file_to_a_real_file_is_refused(tmp_path):
    path = str(tmp_path / "escrow")
    store = written_store(path)
    target = tmp_path / "target"
    target.write_bytes(b"keep me")
    os.symlink(str(target), os.path.join(path, ".nas2.yml.lock"))
    before = tree_state(str(tmp_path))
    with pytest.raises(EscrowError, match=r"lock file .* is a symbolic link"):
        store.put_once("nas2", "root", entry())
    assert tree_state(str(tmp_path)) == before


def test_a_symlinked_entry_file_is_refused_not_read_or_replaced(tmp_path):
    path = str(tmp_path / "escrow")
    store = written_store(path)
    os.rename(os.path.join(path, "nas1.yml"), str(tmp_path / "moved.yml"))
    os.symlink(str(tmp_path / "moved.yml"), os.path.join(path, "nas1.yml"))
    before = tree_state(str(tmp_path))
    for attempt in (lambda: store.get("nas1", "root"), lambda: store.replace("nas1", "root", entry())):
        with pytest.raises(EscrowError, match=r"escrow entry .*nas1\.yml is a symbolic link; it is not followed"):
            attempt()
    assert tree_state(str(tmp_path)) == before


def test_a_folder_only_too_open_for_reading_is_made_0700_on_write(tmp_path):
    path = str(tmp_path / "escrow")
    store = written_store(path)
    os.chmod(path, 0o755)
    store.put_once("nas2", "root", entry())
    assert os.stat(path).st_mode & 0o777 == 0o700


@pytest.mark.parametrize("under", ["ansible_collections/fleet2fa/nas/playbooks", "ansible_collections/acme/tools"])
def test_an_escrow_dir_inside_an_installed_collection_is_refused_naming_the_variable(tmp_path, under):
    path = str(tmp_path / under / "fleet2fa-escrow")
    os.makedirs(os.path.dirname(path))
    before = tree_state(str(tmp_path))
    store = open_escrow({"dir": path}, vault_secrets=VAULT_SECRETS)
    for attempt in attempts(store).values():
        with pytest.raises(EscrowError, match=r"escrow\.dir: .* is inside the collection (fleet2fa\.nas|acme\.tools), and "
                                              r"`ansible-galaxy collection install --force` deletes that tree .* "
                                              r"set fleet2fa_escrow_dir \(a task's escrow\.dir\) to a folder of your own"):
            attempt()
    assert tree_state(str(tmp_path)) == before


def test_a_relative_escrow_dir_beside_a_playbook_of_the_collection_is_refused(tmp_path):
    """``ansible-playbook fleet2fa.nas.rollout``: playbook_dir is the collection's playbooks folder."""
    playbooks = tmp_path / "ansible_collections" / "fleet2fa" / "nas" / "playbooks"
    playbooks.mkdir(parents=True)
    store = open_escrow({}, vault_secrets=VAULT_SECRETS, basedir=str(playbooks))
    with pytest.raises(EscrowError, match=r"fleet2fa-escrow is inside the collection fleet2fa\.nas"):
        store.put_once("nas1", "root", entry())
    assert os.listdir(str(playbooks)) == []


def test_an_escrow_dir_reached_through_a_link_into_a_collection_is_refused(tmp_path):
    collection = tmp_path / "ansible_collections" / "fleet2fa" / "nas"
    collection.mkdir(parents=True)
    os.symlink(str(collection), str(tmp_path / "checkout"))
    store = open_escrow({"dir": str(tmp_path / "checkout" / "escrow")}, vault_secrets=VAULT_SECRETS)
    with pytest.raises(EscrowError, match=r"is inside the collection fleet2fa\.nas"):
        store.put_once("nas1", "root", entry())
    assert os.listdir(str(collection)) == []


def test_an_escrow_dir_beside_a_collections_folder_is_accepted(tmp_path):
    path = tmp_path / "ansible_collections" / "escrow"  # a namespace folder's sibling is no collection's tree
    written_store(str(path))
    assert os.path.isfile(str(path / "nas1.yml"))


def test_a_qr_dir_inside_an_installed_collection_is_refused_before_a_file_is_written(tmp_path):
    qr_dir = tmp_path / "ansible_collections" / "fleet2fa" / "nas" / "playbooks" / "fleet2fa-qr"
    with pytest.raises(FileWriteError, match=r"qr_dir: .* is inside the collection fleet2fa\.nas, .* set fleet2fa_qr_dir"):
        QrFiles(str(qr_dir)).write("nas1", "root", entry().uri())
    assert not (tmp_path / "ansible_collections" / "fleet2fa" / "nas").exists()
