# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and writing the host's files: whole texts, written atomically with their mode and owner.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

A reader of sshd's or PAM's files sees the old file or the new one, never half of one: the new text
goes to a temporary file in the same folder, is flushed to disk and renamed over the old one.
"""

from __future__ import annotations

import os
import tempfile


def read_text(path, errors="strict"):
    """The file's text as it is (line ends kept), or None when there is no such file."""
    try:
        with open(path, "r", encoding="utf-8", errors=errors, newline="") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def write_atomically(path, text, mode=0o600, uid=0, gid=0):
    """Write ``text`` to a temporary file in the same folder, then rename it over ``path``."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            os.fchmod(handle.fileno(), mode)
            if os.geteuid() == 0:
                os.fchown(handle.fileno(), uid, gid)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_keeping_owner(path, text, new_mode=0o644):
    """Write ``text`` over ``path`` keeping its mode and owner; a new file gets ``new_mode`` and root."""
    st = os.stat(path) if os.path.exists(path) else None
    if st is None:
        write_atomically(path, text, new_mode, 0, 0)
    else:
        write_atomically(path, text, st.st_mode & 0o7777, st.st_uid, st.st_gid)


def remove(path):
    """Remove ``path`` when it is there; True when it was."""
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


def remove_empty_dir(path):
    """Remove the folder ``path`` when it is empty; leave it (and say False) otherwise."""
    try:
        os.rmdir(path)
        return True
    except OSError:
        return False
