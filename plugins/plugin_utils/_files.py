# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller files written only when their bytes change: 0600 files in 0700 folders, atomically.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The folders hold secrets (QR codes, packs) or what the fleet looks like (reports), so a folder is
refused, not fixed up, when it could send a file elsewhere or let someone else in: a symbolic link
(``qr_dir`` pointing at a shared folder, ``qr_dir/<host>`` at ``/tmp``), a folder owned by another
user, or one that group or others may write to, or one inside a collection's tree (which
``ansible-galaxy collection install --force`` deletes). The error names the option (``option``) and the
problem; nothing is written. A folder that is only too open for reading (0755) is made 0700. Files
are read with O_NOFOLLOW and replaced by rename, so a symbolic link in a file's place is replaced,
never followed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError


class FileWriteError(Fleet2faError):
    """A file could not be read or written; the message names the path, never the content."""


def _named(option, path):
    return "%s: %s" % (option, path) if option else path


def differs(path, data, mode=0o600):
    """True when ``path`` does not hold ``data`` with ``mode`` (a symbolic link there always differs)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return True
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return True
        raise FileWriteError("cannot read %s: %s" % (path, exc.strerror)) from None
    with os.fdopen(fd, "rb") as handle:
        same = handle.read() == data
        return not (same and (os.fstat(handle.fileno()).st_mode & 0o777) == mode)


# The role variable that sets each folder option, for the messages.
ROLE_VARIABLES = {"escrow.dir": "fleet2fa_escrow_dir", "qr_dir": "fleet2fa_qr_dir", "report_dir": "fleet2fa_report_dir"}


def installed_collection(path):
    """``namespace.name`` of the collection tree (``.../ansible_collections/<namespace>/<name>/...``) that holds
    ``path``, as written or with its links resolved; None when it is outside every collection."""
    for candidate in (os.path.abspath(path), os.path.realpath(path)):
        parts = candidate.split(os.sep)
        for index in range(len(parts) - 2):
            if parts[index] == "ansible_collections" and parts[index + 1] and parts[index + 2]:
                return "%s.%s" % (parts[index + 1], parts[index + 2])
    return None


def check_outside_collections(path, option=None):
    """Refuse a folder inside a collection's tree: ``ansible-galaxy collection install --force`` deletes that tree.

    The roles' folders default to ``{{ playbook_dir }}/fleet2fa-...``, which is inside the installed collection
    when its playbooks are run by name (``ansible-playbook fleet2fa.nas.rollout``).
    """
    collection = installed_collection(path)
    if collection is None:
        return
    variable = ROLE_VARIABLES.get(option)
    setting = "%s (a task's %s)" % (variable, option) if variable else option or "the folder"
    example = " (for example -e %s=~/fleet2fa/%s)" % (variable, option.split(".")[0].replace("_dir", "")) if variable else ""
    raise FileWriteError(
        "%s is inside the collection %s, and `ansible-galaxy collection install --force` deletes that tree with "
        "everything in it: set %s to a folder of your own outside any ansible_collections tree%s and move what is "
        "there; nothing was written" % (_named(option, path), collection, setting, example))


def check_dir(path, option=None):
    """Refuse ``path`` unless it is a real folder of the user running Ansible that no one else may write to,
    outside every collection's tree.

    Returns False when it is not there yet.
    """
    check_outside_collections(path, option)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise FileWriteError("%s cannot be read: %s; nothing was written" % (_named(option, path), exc.strerror)) from None
    if stat.S_ISLNK(st.st_mode):
        raise FileWriteError("%s is a symbolic link; it is not followed (give the real folder); nothing was written"
                             % _named(option, path))
    if not stat.S_ISDIR(st.st_mode):
        raise FileWriteError("%s exists and is not a directory; nothing was written" % _named(option, path))
    if st.st_uid != os.geteuid():
        raise FileWriteError("%s is owned by uid %d, not by the user running Ansible (uid %d); nothing was written"
                             % (_named(option, path), st.st_uid, os.geteuid()))
    if st.st_mode & 0o022:
        raise FileWriteError("%s may be written by %s (mode %04o); make it 0700; nothing was written"
                             % (_named(option, path), "group and others" if st.st_mode & 0o022 == 0o022
                                else "its group" if st.st_mode & 0o020 else "others", stat.S_IMODE(st.st_mode)))
    return True


def check_dirs(paths, option=None):
    """``check_dir`` for each folder, outermost first; all are checked before anything is made."""
    for path in paths:
        check_dir(path, option)


def ensure_dir(path, mode=0o700, option=None):
    """Make ``path`` (and missing parents, ``mode``), or check the one that is there and make it ``mode``."""
    if not check_dir(path, option):
        try:
            os.makedirs(path, mode=mode, exist_ok=True)
        except OSError as exc:
            raise FileWriteError("cannot create %s: %s; nothing was written" % (_named(option, path), exc.strerror)) from None
        check_dir(path, option)
    if (os.lstat(path).st_mode & 0o777) != mode:
        try:
            os.chmod(path, mode)
        except OSError as exc:
            raise FileWriteError("cannot chmod %s: %s" % (_named(option, path), exc.strerror)) from None


def atomic_write(path, data, mode=0o600):
    """Write ``data`` to a temporary file in the same folder and rename it over ``path``.

    mkstemp creates the temporary file with O_EXCL (a name that exists, a link included, is never
    opened), and the rename replaces whatever is at ``path`` without following it.
    """
    directory, name = os.path.split(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % name, suffix=".tmp")
    except OSError as exc:
        raise FileWriteError("cannot write in %s: %s" % (directory, exc.strerror)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise FileWriteError("cannot write %s: %s" % (path, exc.strerror)) from None
    # The rename is durable only once the folder itself is on disk.
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_files(folder, files, check_mode=False, mode=0o600, dir_mode=0o700, option=None):
    """Write ``{name: bytes}`` into ``folder`` where they differ; returns the paths (that would be) written."""
    check_dir(folder, option)  # in check mode too: a folder that would be refused is refused now
    paths = {os.path.join(folder, name): data for name, data in files.items()}
    changed = [path for path, data in paths.items() if differs(path, data, mode)]
    if check_mode or not changed:
        return changed
    ensure_dir(folder, dir_mode, option)
    for path in changed:
        atomic_write(path, paths[path], mode)
    return changed


def remove_files(paths, check_mode=False):
    """Remove files that are there; returns the paths (that would be) removed."""
    gone = [path for path in paths if os.path.lexists(path)]
    if not check_mode:
        for path in gone:
            try:
                os.unlink(path)
            except OSError as exc:
                raise FileWriteError("cannot remove %s: %s" % (path, exc.strerror)) from None
    return gone
