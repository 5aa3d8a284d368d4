# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd side: a drop-in that sorts first, the main file's Include, and what sshd -T must say.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

sshd keeps the first value it reads for an option, so our drop-in is named to sort first in
sshd_config.d and the main file must include that folder before its own settings (Debian and
Ubuntu ship ``Include /etc/ssh/sshd_config.d/*.conf`` as the first line; where it is missing we add
it at the top, with a marker comment so that ``state=absent`` takes exactly those lines out again).
A Match block in an included file ends with that file, so our Match blocks never swallow the rest
of the main file.
"""

from __future__ import annotations

import fnmatch
import os
import re

MARKER = "# Added by fleet2fa.nas.sshd_otp so that the drop-ins below are read first; remove both lines together."
HEADER = "# Managed by fleet2fa.nas.sshd_otp: password + one-time code (pam_oath). Edits are overwritten."

# Authentication methods per auth_mode, for a user who must give the code, and for the account
# Ansible uses when it is one of those users (its key alone must still let it in).
AUTH_METHODS = {
    "password_otp": "keyboard-interactive",
    "key_and_otp": "publickey,keyboard-interactive",
}
AUTOMATION_OTP_METHODS = "publickey keyboard-interactive"
KEY_ONLY_METHODS = "publickey"

# sshd_options keywords the module refuses, with the reason the error gives (lowercase: sshd's keywords are
# case-insensitive). The module docs (plugins/modules/sshd_otp.py, sshd_options) list the same groups.
_DEPENDS = "the collection depends on its value (password + code goes through PAM keyboard-interactive)"
_STRUCTURE = "it would change the structure of the drop-in, whose Match blocks the module writes"
# Measured with sshd -t on OpenSSH 9.2: it says "Deprecated option" / "Unsupported option" (or nothing, for
# Protocol) and goes on without it, so the value would be written and silently ignored.
_IGNORED = "sshd ignores it (a deprecated or unsupported keyword), so it would be written and have no effect"
REFUSED_OPTIONS = dict(
    [(key, _DEPENDS) for key in ("usepam", "kbdinteractiveauthentication", "challengeresponseauthentication",
                                 "skeyauthentication", "authenticationmethods")]
    + [(key, _STRUCTURE) for key in ("match", "include")]
    + [(key, _IGNORED) for key in ("protocol", "useprivilegeseparation", "rsaauthentication", "rhostsrsaauthentication",
                                   "serverkeybits", "keyregenerationinterval", "uselogin", "pamauthenticationviakbdint",
                                   "verifyreversemapping", "reversemappingcheck", "kerberostgtpassing",
                                   "afstokenpassing")]
)
# Set by the drop-in itself when root is one of the OTP users; sshd keeps the first value, ours.
ROOT_OTP_OPTION = "permitrootlogin"


def refused_option(key, otp_users):
    """Why sshd_options must not set ``key`` for these OTP users, or None when it may."""
    lowered = key.lower()
    if lowered == ROOT_OTP_OPTION and "root" in otp_users:
        return ("the drop-in sets PermitRootLogin yes itself when root is one of users (root logs in with password + "
                "code), and sshd keeps the first value it reads")
    return REFUSED_OPTIONS.get(lowered)


_VERSION_RE = re.compile(r"OpenSSH_(\d+)\.(\d+)")
_INCLUDE_RE = re.compile(r"^\s*include\s+(.+?)\s*$", re.IGNORECASE)


def parse_version(text):
    """(major, minor) from ``sshd -V`` output (older sshd print it in their usage text), or None."""
    match = _VERSION_RE.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def kbd_interactive_keyword(version):
    """OpenSSH 8.7 renamed ChallengeResponseAuthentication; older ones know only the old name."""
    if version is not None and version < (8, 7):
        return "ChallengeResponseAuthentication"
    return "KbdInteractiveAuthentication"


def _quote(value):
    return '"%s"' % value if any(c in value for c in " \t,") else value


class SshdDropIn:
    """The content of our drop-in, from what the play asked for."""

    def __init__(self, otp_users, automation_user, auth_mode="password_otp", version=None, extra_options=None):
        self.otp_users = list(otp_users)
        self.automation_user = automation_user
        self.auth_mode = auth_mode
        self.version = version
        self.extra_options = dict(extra_options or {})

    def methods_for(self, user):
        """The AuthenticationMethods sshd -T must report for ``user``, or None when we leave it alone."""
        if user == self.automation_user:
            return AUTOMATION_OTP_METHODS if user in self.otp_users else KEY_ONLY_METHODS
        if user in self.otp_users:
            return AUTH_METHODS[self.auth_mode]
        return None

    def expected(self, user):
        """sshd -T keys and values that must hold for ``user`` once the drop-in is read."""
        kbd = kbd_interactive_keyword(self.version).lower()
        wanted = {"usepam": "yes", kbd: "yes"}
        methods = self.methods_for(user)
        if methods:
            wanted["authenticationmethods"] = methods
            wanted["pubkeyauthentication"] = "yes" if "publickey" in methods else None
        if user in self.otp_users:
            wanted["passwordauthentication"] = "no"
        if user == "root" and "root" in self.otp_users:
            wanted["permitrootlogin"] = "yes"
        return {key: value for key, value in wanted.items() if value is not None}

    def users_in_scope(self):
        users = list(self.otp_users)
        if self.automation_user and self.automation_user not in users:
            users.append(self.automation_user)
        return users

    def render(self):
        kbd = kbd_interactive_keyword(self.version)
        lines = [HEADER, "UsePAM yes", "%s yes" % kbd]
        if "root" in self.otp_users:
            lines.append("PermitRootLogin yes")
        for key in sorted(self.extra_options):
            lines.append("%s %s" % (key, self.extra_options[key]))
        for user in self.users_in_scope():
            lines.append("")
            lines.append("Match User %s" % _quote(user))
            lines.append("    AuthenticationMethods %s" % self.methods_for(user))
            if user in self.otp_users:
                # The password alone must never be enough: it goes through keyboard-interactive,
                # where pam_oath asks for the code after it.
                lines.append("    PasswordAuthentication no")
                lines.append("    %s yes" % kbd)
            if "publickey" in self.methods_for(user):
                lines.append("    PubkeyAuthentication yes")
        return "\n".join(lines) + "\n"


def global_keywords(lines):
    """{keyword (lowercase): line number} of the global settings in ``lines``, up to the first Match.

    Lines inside a Match block do not count: they are conditional, and our Match blocks override them.
    """
    found = {}
    for number, line in enumerate(lines, start=1):
        words = line.split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        keyword = words[0].split("=", 1)[0].lower()
        if keyword == "match":
            break
        found.setdefault(keyword, number)
    return found


def include_covers(include_args, dropin_path, ssh_dir="/etc/ssh"):
    """True when one of the Include line's (glob) arguments names ``dropin_path``."""
    for arg in include_args.split():
        arg = arg.strip('"')
        pattern = arg if os.path.isabs(arg) else os.path.join(ssh_dir, arg)
        if fnmatch.fnmatch(dropin_path, pattern):
            return True
    return False


class SshdMainConfig:
    """The main sshd_config: does it read our drop-in, and before its own settings?"""

    def __init__(self, text, ssh_dir="/etc/ssh"):
        self.text = text
        self.ssh_dir = ssh_dir

    def include_line_index(self, dropin_path):
        for index, line in enumerate(self.text.splitlines()):
            match = _INCLUDE_RE.match(line)
            if match and include_covers(match.group(1), dropin_path, self.ssh_dir):
                return index
        return None

    def with_include(self, dropin_dir):
        """The text with our Include at the top when no Include reads the drop-in folder yet."""
        probe = os.path.join(dropin_dir, "00-probe.conf")
        if self.include_line_index(probe) is not None:
            return self.text
        return "%s\nInclude %s/*.conf\n%s" % (MARKER, dropin_dir, self.text)

    def keywords_before_include(self, dropin_path):
        """{keyword (lowercase): line number} set in the main file before the Include that reads ``dropin_path``.

        sshd keeps the first value it reads, so the drop-in cannot change these.
        """
        index = self.include_line_index(dropin_path)
        return {} if index is None else global_keywords(self.text.splitlines()[:index])

    def without_our_include(self, dropin_dir):
        """The text with the two lines we added (and only those) taken out again."""
        ours = "%s\nInclude %s/*.conf\n" % (MARKER, dropin_dir)
        if ours in self.text:
            return self.text.replace(ours, "", 1)
        return self.text

    def staged(self, dropin_dir, staged_dir):
        """The text with Include arguments that point into ``dropin_dir`` pointed at ``staged_dir``.

        Used to check the whole resulting config with ``sshd -t -f`` before anything is written.
        """
        out = []
        for line in self.text.splitlines(True):
            match = _INCLUDE_RE.match(line)
            if match:
                args = []
                for arg in match.group(1).split():
                    bare = arg.strip('"')
                    full = bare if os.path.isabs(bare) else os.path.join(self.ssh_dir, bare)
                    if os.path.dirname(full) == dropin_dir.rstrip("/"):
                        full = os.path.join(staged_dir, os.path.basename(full))
                    args.append(full)
                line = "Include %s\n" % " ".join(args)
            out.append(line)
        return "".join(out)


def parse_sshd_t(text):
    """``sshd -T`` output as {keyword: value}; a keyword given more than once keeps its first value."""
    found = {}
    for line in text.splitlines():
        key, _sep, value = line.strip().partition(" ")
        if key and key not in found:
            found[key.lower()] = value.strip()
    return found


def connection_spec(user):
    """The ``-C`` spec that ``sshd -T`` evaluates the Match blocks for: a local login of ``user``."""
    return "user=%s,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=22" % user


def effective_settings(run, sshd, user, config=None):
    """(``sshd -T`` for ``user`` as {keyword: value}, None) or (None, sshd's message); ``config`` replaces sshd_config."""
    argv = [sshd, "-T"] + (["-f", config] if config else []) + ["-C", connection_spec(user)]
    rc, out, err = run(argv)
    if rc != 0:
        return None, (err or out).strip()
    return parse_sshd_t(out), None


def mismatches(effective, expected):
    """Human-readable differences between ``sshd -T`` output and what we expect."""
    out = []
    for key, value in sorted(expected.items()):
        got = effective.get(key)
        if got != value:
            out.append("%s is %r, expected %r" % (key, got, value))
    return out
