# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller files written only when their bytes change: 0600 files in 0700 folders, atomically.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError


class FileWriteError(Fleet2faError):
    """A file could not be read or written; the message names the path, never the content."""


def differs(path, data, mode=0o600):
    try:
        with open(path, "rb") as handle:
            same = handle.read() == data
        return not (same and (os.stat(path).st_mode & 0o777) == mode)
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise FileWriteError("cannot read %s: %s" % (path, exc.strerror)) from None


def ensure_dir(path, mode=0o700):
    if os.path.lexists(path) and not os.path.isdir(path):
        raise FileWriteError("%s exists and is not a directory; nothing was written" % path)
    try:
        os.makedirs(path, mode=mode, exist_ok=True)
        if (os.stat(path).st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError as exc:
        raise FileWriteError("cannot create %s: %s" % (path, exc.strerror)) from None


def atomic_write(path, data, mode=0o600):
    """Write ``data`` to a temporary file in the same folder and rename it over ``path``."""
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
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_files(folder, files, check_mode=False, mode=0o600, dir_mode=0o700):
    """Write ``{name: bytes}`` into ``folder`` where they differ; returns the paths (that would be) written."""
    paths = {os.path.join(folder, name): data for name, data in files.items()}
    changed = [path for path, data in paths.items() if differs(path, data, mode)]
    if check_mode or not changed:
        return changed
    ensure_dir(folder, dir_mode)
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
