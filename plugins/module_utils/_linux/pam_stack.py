# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd PAM stack: one pam_oath line right after the password step, the TrueNAS way.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The password step is one of those of layout.py (``@include common-auth`` on Debian and Ubuntu,
``auth substack password-auth`` on EL, ``auth include common-auth`` on SUSE). The OTP line goes right after it:
``auth required pam_oath.so usersfile=... window=N digits=D``. It is compared with its arguments,
kept in place when it already is what we want, and every other pam_oath line is dropped so that
exactly one remains. Everything else in the file stays byte for byte.

Rate limiting (pam_faillock, in libpam-modules on Debian 12 and pam on EL 8+) takes three lines of
our own, each marked by its ``dir=`` (a tally folder only sshd's code step uses):

- ``auth requisite pam_faillock.so preauth ...`` right before the password step: a locked account stops
  there (no password asked, no code used up);
- ``auth optional pam_faillock.so authfail ...`` right after it: every attempt counts as a failure first;
- ``auth optional pam_faillock.so authsucc ...`` right after the pam_oath line, which is then
  ``requisite``: only a login whose password and code both passed gets there, and it clears the
  count, so the rollout's own wrong-code check never adds up.

Key logins never run the auth phase (sshd's publickey method skips PAM auth): they are never counted,
locked, nor do they clear a lock (an account-phase reset would let every Ansible run unlock root).
``fail_interval`` equals ``unlock_time``, so failures from before a lock ran out do not lock the account
again at the next single failure.
"""

from __future__ import annotations

import os

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout


class PamStackError(Fleet2faError):
    """The PAM file cannot be edited safely; nothing was changed."""


def _is_oath_line(line, module):
    fields = line.split("#", 1)[0].split()
    if len(fields) < 3 or fields[0].lstrip("-") != "auth":
        return False
    # The control may be [bracketed with spaces]; the module is the first field after it.
    rest = " ".join(fields[1:])
    if rest.startswith("["):
        rest = rest.split("]", 1)[-1]
    else:
        rest = rest.split(None, 1)[1] if " " in rest else ""
    words = rest.split()
    if not words:
        return False
    name = os.path.basename(words[0])
    return name in (os.path.basename(module), "pam_oath.so")


FAILLOCK_MODULE = "pam_faillock.so"
# Our tally folder: it marks our lines, and keeps sshd's code failures apart from other services' counts.
FAILLOCK_DIR = "/run/fleet2fa-faillock"
DEFAULT_DENY = 10
DEFAULT_UNLOCK_TIME = 600
# NIST SP 800-63B: no more than 100 consecutive failed attempts for codes under 64 bits.
MAX_DENY = 100


def _is_our_faillock_line(line):
    fields = line.split("#", 1)[0].split()
    return FAILLOCK_MODULE in [os.path.basename(f) for f in fields[:4]] and "dir=%s" % FAILLOCK_DIR in fields


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def rate_limit_problem(deny, unlock_time):
    """The one home of a rate limit's bounds: (setting, what it must be) for the first bad one, or None."""
    if not _whole(deny) or not 1 <= deny <= MAX_DENY:
        return "deny", "a whole number from 1 to %d" % MAX_DENY
    if not _whole(unlock_time) or unlock_time < 1:
        return "unlock_time", "a whole number of seconds >= 1"
    return None


def faillock_lines(deny=DEFAULT_DENY, unlock_time=DEFAULT_UNLOCK_TIME):
    """(preauth, authfail, authsucc) lines: ``deny`` consecutive failures lock for ``unlock_time`` seconds."""
    problem = rate_limit_problem(deny, unlock_time)
    if problem:
        raise PamStackError("rate limit: %s must be %s, got %r" % (
            problem[0], problem[1], deny if problem[0] == "deny" else unlock_time))
    args = "dir=%s deny=%d unlock_time=%d fail_interval=%d even_deny_root root_unlock_time=%d" % (
        FAILLOCK_DIR, deny, unlock_time, unlock_time, unlock_time)
    return ("auth requisite %s preauth %s" % (FAILLOCK_MODULE, args),
            "auth optional %s authfail %s" % (FAILLOCK_MODULE, args),
            "auth optional %s authsucc %s" % (FAILLOCK_MODULE, args))


def oath_line(usersfile, window, digits, module=layout.DEFAULT_PAM_MODULE, control="required"):
    """The code step; ``requisite`` where the rate limit's authsucc line follows it (a failed code stops there)."""
    return "auth %s %s usersfile=%s window=%d digits=%d" % (control, module, usersfile, window, digits)


class SshdPamStack:
    """The lines of /etc/pam.d/sshd (or another service file)."""

    def __init__(self, text):
        self.lines = text.splitlines(True)

    def text(self):
        return "".join(self.lines)

    def oath_lines(self, module="pam_oath.so"):
        return [line for line in self.lines if _is_oath_line(line, module)]

    def password_step(self):
        """Index of the line that asks for the password, or None."""
        for index, line in enumerate(self.lines):
            if any(regex.match(line) for regex in layout.password_steps()):
                return index
        return None

    def ensure(self, wanted, module="pam_oath.so"):
        """Exactly one ``wanted`` line, right after the password step. True on a change."""
        step = self.password_step()
        if step is None:
            raise PamStackError("found no password step to put the pam_oath line after (one of: %s)"
                                % layout.password_step_shapes())
        following = self.lines[step + 1] if step + 1 < len(self.lines) else ""
        if following.strip() == wanted and len(self.oath_lines(module)) == 1:
            return False
        before = self.text()
        kept = [line for line in self.lines if not _is_oath_line(line, module)]
        step = SshdPamStack("".join(kept)).password_step()
        if not kept[step].endswith("\n"):
            kept[step] += "\n"
        self.lines = kept[: step + 1] + [wanted + "\n"] + kept[step + 1:]
        return self.text() != before

    def ensure_rate_limit(self, lines, module="pam_oath.so"):
        """Our three pam_faillock ``lines`` (faillock_lines) around the password step and the pam_oath line
        (ensure() first). True on a change."""
        before = self.text()
        self.remove_rate_limit()
        preauth, authfail, authsucc = lines
        step = self.password_step()
        oath = self.oath_lines(module)
        if step is None or not oath:
            raise PamStackError("found no password step and pam_oath line to put the pam_faillock lines around "
                                "(one of: %s)" % layout.password_step_shapes())
        self.lines[step:step] = [preauth + "\n", authfail + "\n"]
        after_oath = self.lines.index(oath[0]) + 1
        if not self.lines[after_oath - 1].endswith("\n"):
            self.lines[after_oath - 1] += "\n"
        self.lines.insert(after_oath, authsucc + "\n")
        return self.text() != before

    def remove_rate_limit(self):
        """Drop our pam_faillock lines (only ours: their dir= marks them). True on a change."""
        kept = [line for line in self.lines if not _is_our_faillock_line(line)]
        changed = len(kept) != len(self.lines)
        self.lines = kept
        return changed

    def remove(self, module="pam_oath.so"):
        """Drop every pam_oath line and our pam_faillock lines. True on a change."""
        kept = [line for line in self.lines if not _is_oath_line(line, module)]
        changed = len(kept) != len(self.lines)
        self.lines = kept
        return self.remove_rate_limit() or changed
