# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd PAM stack: one pam_oath line right after the password step, the TrueNAS way.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The password step is one of those of layout.py (``@include common-auth`` on Debian and Ubuntu,
``auth substack password-auth`` on EL, ``auth include common-auth`` on SUSE). The OTP line goes right after it:
``auth required pam_oath.so usersfile=... window=N digits=D``. It is compared with its arguments,
kept in place when it already is what we want, and every other pam_oath line is dropped so that
exactly one remains. Everything else in the file stays byte for byte.
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


def oath_line(usersfile, window, digits, module=layout.DEFAULT_PAM_MODULE):
    return "auth required %s usersfile=%s window=%d digits=%d" % (module, usersfile, window, digits)


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

    def remove(self, module="pam_oath.so"):
        """Drop every pam_oath line. True on a change."""
        kept = [line for line in self.lines if not _is_oath_line(line, module)]
        changed = len(kept) != len(self.lines)
        self.lines = kept
        return changed
