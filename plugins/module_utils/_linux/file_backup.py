# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep the previous content of the files a run changes, so that a failed proof can put it back.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

A backup is a 0700 folder on the host holding a manifest and one file per changed path (0600). Its
path is the opaque handle a module returns; the content itself never leaves the host, so a secret
in the previous users.oath never enters a task result.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.files import remove, remove_empty_dir, write_atomically
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.oath_users import UsersFileLock

MANIFEST = "manifest.json"


class BackupError(Fleet2faError):
    """A backup cannot be made or used."""


class FileBackup:
    """One run's previous file contents, in ``root``/<id>/."""

    def __init__(self, folder):
        self.folder = folder

    @classmethod
    def create(cls, root):
        os.makedirs(root, mode=0o700, exist_ok=True)
        os.chmod(root, 0o700)
        return cls(tempfile.mkdtemp(prefix="run-", dir=root))

    @classmethod
    def open(cls, root, handle):
        folder = os.path.realpath(handle)
        if os.path.dirname(folder) != os.path.realpath(root) or not os.path.isfile(os.path.join(folder, MANIFEST)):
            raise BackupError("the rollback handle does not name a backup of this module on this host")
        return cls(folder)

    def save(self, paths, created_dirs=()):
        """Record every path's state now: its bytes, mode and owner, or that it did not exist."""
        entries = []
        for index, path in enumerate(paths):
            entry = {"path": path, "existed": os.path.exists(path)}
            if entry["existed"]:
                st = os.stat(path)
                entry.update(mode=st.st_mode & 0o7777, uid=st.st_uid, gid=st.st_gid, copy=str(index))
                copy = os.path.join(self.folder, str(index))
                with open(path, "rb") as src, open(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as dst:
                    shutil.copyfileobj(src, dst)
            entries.append(entry)
        manifest = {"files": entries, "created_dirs": list(created_dirs)}
        with open(os.open(os.path.join(self.folder, MANIFEST), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            json.dump(manifest, out)

    def manifest(self):
        with open(os.path.join(self.folder, MANIFEST)) as handle:
            return json.load(handle)

    def restore(self, locked_paths=(), lock_timeout=10.0):
        """Put every recorded path back byte for byte; returns the paths that differed."""
        manifest = self.manifest()
        restored = []
        for entry in manifest["files"]:
            path = entry["path"]
            if path in locked_paths:
                with UsersFileLock(path, timeout=lock_timeout):
                    changed = self._restore_one(entry)
            else:
                changed = self._restore_one(entry)
            if changed:
                restored.append(path)
        for folder in reversed(manifest.get("created_dirs", [])):
            if remove_empty_dir(folder):
                restored.append(folder)
        return restored

    def _restore_one(self, entry):
        path = entry["path"]
        if not entry["existed"]:
            return remove(path)
        with open(os.path.join(self.folder, entry["copy"]), "rb") as handle:
            data = handle.read()
        if os.path.exists(path):
            with open(path, "rb") as handle:
                if handle.read() == data and (os.stat(path).st_mode & 0o7777) == entry["mode"]:
                    return False
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        write_atomically(path, data.decode("utf-8"), entry["mode"], entry["uid"], entry["gid"])
        return True

    def discard(self):
        shutil.rmtree(self.folder, ignore_errors=True)
        # Leave no empty folders behind once nothing of ours is kept there (state=absent).
        for folder in (os.path.dirname(self.folder), os.path.dirname(os.path.dirname(self.folder))):
            if not remove_empty_dir(folder):
                break


def prune(root, keep=()):
    """Remove backups older runs left behind (their proofs are long over)."""
    if not os.path.isdir(root):
        return
    for name in os.listdir(root):
        folder = os.path.join(root, name)
        if name.startswith("run-") and folder not in keep:
            shutil.rmtree(folder, ignore_errors=True)
