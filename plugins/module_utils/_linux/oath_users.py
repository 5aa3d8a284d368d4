# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pam_oath users file (users.oath): parse, edit per user, write the way pam_oath expects.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

A line is ``HOTP/T<period>/<digits> <user> <pin> <hex secret> [counter last-otp time]``. pam_oath
rewrites the whole file after every successful login (``<file>.lock`` with O_EXCL, then
``<file>.new`` renamed over the file) and appends its replay state to the user's line. So a line is
compared on type, user and secret only: a pam_oath rewrite is never a change, and an unchanged
entry is never rewritten (that would reset the replay state and let a used code in again).

Nothing here puts a secret into a message, a repr or a summary; summaries carry fingerprints.
"""

from __future__ import annotations

import calendar
import errno
import os
import time

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.files import remove, write_atomically

LOCK_SUFFIX = ".lock"
# The users file holds every user's secret: readable by root alone, whatever an admin's chmod made of it.
MODE = 0o600
OWNER_UID = 0
OWNER_GID = 0


def mode_problem(path):
    """What is wrong with the users file's mode or owner ("mode 0644", "owner uid 1000"), or None.

    The owner is checked only when we run as root (we could not chown otherwise, and pam_oath runs as root).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    problems = []
    if st.st_mode & 0o7777 != MODE:
        problems.append("mode %04o" % (st.st_mode & 0o7777))
    if os.geteuid() == 0 and (st.st_uid, st.st_gid) != (OWNER_UID, OWNER_GID):
        problems.append("owner uid %d gid %d" % (st.st_uid, st.st_gid))
    return ", ".join(problems) or None


class OathUsersError(Fleet2faError):
    """A users file problem; the message never contains a secret."""


class OathEntry:
    """One token line. ``raw`` is the line as read (without its newline), kept byte for byte."""

    __slots__ = ("token_type", "user", "pin", "hex_secret", "state", "raw")

    def __init__(self, token_type, user, pin, hex_secret, state=(), raw=None):
        self.token_type = token_type
        self.user = user
        self.pin = pin
        self.hex_secret = hex_secret
        self.state = tuple(state)
        self.raw = raw if raw is not None else self.render()

    @classmethod
    def for_key(cls, user, key):
        return cls(key.users_oath_type, user, "-", key.hex)

    def render(self):
        return "\t".join((self.token_type, self.user, self.pin, self.hex_secret))

    def same_token(self, other):
        """Type, user and secret (hex compared case-insensitively); replay state is ignored."""
        return (
            self.token_type.upper() == other.token_type.upper()
            and self.user == other.user
            and self.hex_secret.upper() == other.hex_secret.upper()
        )

    @property
    def fingerprint(self):
        try:
            return totp.fingerprint(totp.hex_to_secret(self.hex_secret))
        except totp.TotpError:
            return "unreadable"

    @property
    def last_used(self):
        """Epoch seconds of the last accepted code, from pam_oath's time field, or None.

        liboath writes the time as local time with an ``L`` suffix (``2026-11-28T15:39:24L``);
        a trailing ``Z`` would mean UTC.
        """
        if len(self.state) < 3:
            return None
        stamp = self.state[2]
        try:
            if stamp.endswith("Z"):
                return calendar.timegm(time.strptime(stamp[:-1], "%Y-%m-%dT%H:%M:%S"))
            return int(time.mktime(time.strptime(stamp.rstrip("L"), "%Y-%m-%dT%H:%M:%S")))
        except ValueError:
            return None

    def summary(self):
        """What results and diffs may show about this entry: no secret, no code."""
        return "%s %s %s" % (self.user, self.token_type, self.fingerprint)

    def __repr__(self):
        return "OathEntry(%s)" % self.summary()


def parse_line(line):
    """An OathEntry for a token line, or None for comments, blank and unparseable lines."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    fields = stripped.split()
    if len(fields) < 4 or not fields[0].upper().startswith("HOTP"):
        return None
    return OathEntry(fields[0], fields[1], fields[2], fields[3], fields[4:], raw=line)


class OathUsersFile:
    """The lines of a users file, editable per user; other lines are kept byte for byte."""

    def __init__(self, text=""):
        self.lines = text.splitlines()
        self.trailing_newline = text.endswith("\n") or not text

    @classmethod
    def read(cls, path):
        try:
            with open(path, "r", encoding="utf-8", newline="") as handle:
                return cls(handle.read())
        except FileNotFoundError:
            return cls("")

    def text(self):
        if not self.lines:
            return ""
        return "\n".join(self.lines) + ("\n" if self.trailing_newline else "")

    def entries(self):
        return [entry for entry in (parse_line(line) for line in self.lines) if entry]

    def entry(self, user):
        for entry in self.entries():
            if entry.user == user:
                return entry
        return None

    def set(self, user, key):
        """Make ``user`` hold ``key``. Returns "added", "replaced" or None when already so."""
        wanted = OathEntry.for_key(user, key)
        found = False
        result = None
        kept = []
        for line in self.lines:
            entry = parse_line(line)
            if entry is None or entry.user != user:
                kept.append(line)
                continue
            if found:
                result = result or "replaced"  # a duplicate: pam_oath only reads the first
                continue
            found = True
            if entry.same_token(wanted):
                kept.append(line)
            else:
                kept.append(wanted.render())
                result = "replaced"
        if not found:
            kept.append(wanted.render())
            result = "added"
        self.lines = kept
        return result

    def remove(self, user):
        """Drop every line of ``user``; True when there was one."""
        kept = [line for line in self.lines if (parse_line(line) or _NOBODY).user != user]
        removed = len(kept) != len(self.lines)
        self.lines = kept
        return removed

    def summary(self):
        """One metadata line per entry, for diffs."""
        return "".join(entry.summary() + "\n" for entry in self.entries())


class _Nobody:
    user = None


_NOBODY = _Nobody()


class UsersFileLock:
    """pam_oath's own lock: ``<file>.lock`` created with O_EXCL, removed when done.

    While we hold it, a login that succeeds at that moment cannot rewrite the file under us (pam_oath
    fails that login instead of losing our change). A lock that does not go away within ``timeout``
    is reported, never broken: it may belong to a login in progress, and when it is stale every OTP
    login already fails, which an admin must see.
    """

    def __init__(self, path, timeout=10.0, poll=0.1):
        self.lock_path = path + LOCK_SUFFIX
        self.timeout = timeout
        self.poll = poll
        self.fd = None

    def __enter__(self):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self.fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                return self
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise OathUsersError("cannot create the lock %s: %s" % (self.lock_path, exc.strerror)) from None
            if time.monotonic() >= deadline:
                raise OathUsersError(
                    "%s has existed for more than %g seconds: a login is holding it, or it is stale "
                    "(then every OTP login fails until it is removed); nothing was changed"
                    % (self.lock_path, self.timeout)
                )
            time.sleep(self.poll)

    def __exit__(self, *exc_info):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            try:
                os.unlink(self.lock_path)
            except FileNotFoundError:
                pass
        return False


def update_users_file(path, edit, timeout=10.0):
    """Apply ``edit(OathUsersFile)`` under pam_oath's lock and write the result if it differs.

    The file is read again under the lock so that a pam_oath rewrite between the plan and the write
    is kept. ``edit`` returns the text to write or None to remove the file. Returns True on a change;
    a file whose text is right but whose mode or owner is not (``mode_problem``) is written again, 0600 root.
    """
    with UsersFileLock(path, timeout=timeout):
        current = OathUsersFile.read(path)
        existed = os.path.exists(path)
        original = current.text()
        wanted = edit(current)
        if wanted is None:
            return remove(path)
        if existed and wanted == original and mode_problem(path) is None:
            return False
        write_atomically(path, wanted, MODE, OWNER_UID, OWNER_GID)
        return True
