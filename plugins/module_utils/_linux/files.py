# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and writing the host's files: whole texts, written atomically with their mode and owner.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

A reader of sshd's or PAM's files sees the old file or the new one, never half of one: the new text
goes to a temporary file in the same folder, is flushed to disk and moved over the old one with
``AnsibleModule.atomic_move``, which keeps the file's SELinux context on the EL hosts DESIGN names
(a plain rename would give users.oath or the sshd drop-in the temporary file's context, and sshd or
PAM would then be denied reading it). The module binds itself once (``bind(module)``, in its main);
without a bound module (unit tests, tools) the move is a plain ``os.rename``.

The pam_oath users file is written the same way, inside pam_oath's own lock protocol:
oath_users.UsersFileLock creates ``users.oath.lock`` with O_EXCL first, as pam_oath does, and only
then is the new text written and moved over the file. pam_oath waits on (or fails at) the lock, not on
the name of the temporary file, so its ``users.oath.new`` and our ``.users.oath.XXXX`` never meet, and
``atomic_move`` (a rename in the same folder) fits inside the lock as pam_oath's own rename does.
"""

from __future__ import annotations

import os
import stat
import tempfile

_MODULE = None


def bind(module):
    """Move every file this process writes into place with ``module.atomic_move`` (call once, in main)."""
    global _MODULE  # pylint: disable=global-statement
    _MODULE = module


def _move_into_place(tmp, path, mode, uid, gid):
    if _MODULE is None:
        os.rename(tmp, path)
        return
    # atomic_move(keep_dest_attrs=True) keeps the destination's SELinux context and copies its mode and
    # owner onto the new file; a file it creates gets 0666 & ~umask instead. So the destination is made
    # to have the wanted mode and owner first (an empty one, when there is none: a new users.oath is
    # never world-readable, not even for a moment), and what atomic_move copies is what was asked for.
    placeholder = False
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode))
        placeholder = True
        st = os.lstat(path)
    link = stat.S_ISLNK(st.st_mode)  # chmod and chown would reach the link's target: the move replaces the link
    if not link and st.st_mode & 0o7777 != mode:
        os.chmod(path, mode)
    if not link and os.geteuid() == 0 and (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(path, uid, gid)
    try:
        _MODULE.atomic_move(tmp, path, unsafe_writes=False, keep_dest_attrs=True)
    except BaseException:
        if placeholder:
            remove(path)
        raise
    if link:
        os.chmod(path, mode)


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
        _move_into_place(tmp, path, mode, uid, gid)
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
