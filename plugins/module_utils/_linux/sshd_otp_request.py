# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a sshd_otp task asks for, checked in full before anything on the host is touched.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Every message names the option and the problem and never a secret: ansible-core prints failure
messages even under no_log.
"""

from __future__ import annotations

import os
import pwd
import re

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import pam_stack, sshd_config
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.layout import DEFAULT_PAM_MODULE, DEFAULT_PATHS

AUTH_MODES = ("password_otp", "key_and_otp")
# Time steps around now that pam_oath accepts unless the task says otherwise.
DEFAULT_WINDOW = 3
# Characters that would change a users.oath line or a ``Match User`` pattern, and control characters (a NUL
# would otherwise reach getpwnam and fail as "embedded null byte", naming nothing).
_BAD_NAME_RE = re.compile(r"[\s:,*?!\"'#\\\x00-\x1f\x7f]")
_OPTION_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*\Z")  # \Z: no trailing newline


class RequestError(Fleet2faError, ValueError):
    """Bad input; the message names the option and never contains a secret."""


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def check_user_name(name, option, user_exists=_user_exists):
    if not isinstance(name, str) or not name:
        raise RequestError("%s must be a non-empty user name" % option)
    if _BAD_NAME_RE.search(name):
        raise RequestError(
            "%s must not contain whitespace, control characters (NUL, tab, newline), colons, commas, quotes or "
            "pattern characters (*?!#\\); got %r" % (option, name)
        )
    if not user_exists(name):
        raise RequestError("%s: there is no user %r on this host" % (option, name))
    return name


class SshdOtpRequest:
    """Normalized, validated parameters. ``keys`` maps user name to TotpKey (present only)."""

    def __init__(self, params, user_exists=_user_exists):
        self.state = params.get("state") or "present"
        self.digits = totp.validate_digits(params.get("digits", totp.DEFAULT_DIGITS))
        self.period = totp.validate_period(params.get("period", totp.DEFAULT_PERIOD))
        self.window = totp.validate_window(params.get("window", DEFAULT_WINDOW))
        self.auth_mode = params.get("auth_mode") or AUTH_MODES[0]
        if self.auth_mode not in AUTH_MODES:
            raise RequestError("auth_mode must be one of %s" % ", ".join(AUTH_MODES))
        self.keys = {}
        self.users = []
        for index, item in enumerate(params.get("users") or []):
            option = "users[%d]" % index
            if not isinstance(item, dict):
                raise RequestError("%s must be a dictionary with name and secret" % option)
            name = check_user_name(item.get("name"), option + ".name", user_exists)
            if name in self.users:
                raise RequestError("%s.name: user %r is listed twice" % (option, name))
            self.users.append(name)
            if self.state == "present":
                if item.get("secret") in (None, ""):
                    raise RequestError("%s.secret is required with state=present" % option)
                try:
                    secret = totp.normalize_secret(item["secret"], option=option + ".secret")
                except totp.TotpError as exc:
                    # The TOTP model words its messages with the option name, never the value.
                    raise RequestError(str(exc)) from None
                self.keys[name] = totp.TotpKey(secret, self.digits, self.period)
        if self.state == "present" and not self.users:
            raise RequestError("users must name at least one user with state=present")
        automation = params.get("automation_user")
        if not automation:
            automation = pwd.getpwuid(os.getuid()).pw_name
        self.automation_user = check_user_name(automation, "automation_user", user_exists)
        self.usersfile = _absolute(params.get("usersfile") or DEFAULT_PATHS["usersfile"], "usersfile")
        self.pam_file = _absolute(params.get("pam_file") or DEFAULT_PATHS["pam_file"], "pam_file")
        self.pam_module = params.get("pam_module") or DEFAULT_PAM_MODULE
        if any(c.isspace() for c in self.pam_module):
            raise RequestError("pam_module must be a module name or path without whitespace")
        self.sshd_config = _absolute(params.get("sshd_config") or DEFAULT_PATHS["sshd_config"], "sshd_config")
        dropin = params.get("dropin") or DEFAULT_PATHS["dropin"]
        self.dropin = _absolute(dropin, "dropin")
        if not self.dropin.endswith(".conf"):
            raise RequestError("dropin must end in .conf, which is what the Include of sshd_config.d reads")
        self.dropin_dir = os.path.dirname(self.dropin)
        self.sshd_options = {}
        for key, value in (params.get("sshd_options") or {}).items():
            if not _OPTION_KEY_RE.match(str(key)):
                raise RequestError("sshd_options: %r is not an sshd keyword (letters and digits only)" % key)
            refused = sshd_config.refused_option(str(key), self.users)
            if refused:
                raise RequestError("sshd_options: %s is refused: %s; nothing was changed" % (key, refused))
            text = "yes" if value is True else "no" if value is False else str(value)
            if not text or "\n" in text or "\r" in text:
                raise RequestError("sshd_options: the value of %s must be one non-empty line" % key)
            self.sshd_options[key] = text
        self.rate_limit = _rate_limit(params.get("rate_limit_deny", pam_stack.DEFAULT_DENY),
                                      params.get("rate_limit_unlock_time", pam_stack.DEFAULT_UNLOCK_TIME))
        self.sshd_apply = params.get("sshd_apply") or "reload"
        self.lock_timeout = float(params.get("lock_timeout", 10))
        self.backup_root = _absolute(params.get("backup_dir") or DEFAULT_PATHS["backup_dir"], "backup_dir")
        if self.auth_mode == "key_and_otp" and self.automation_user in self.users:
            # Not an error: the automation account keeps key OR password+code, so it never needs the code.
            self.automation_note = (
                "auth_mode=key_and_otp does not apply to the automation_user %s: its key alone still logs in"
                % self.automation_user
            )
        else:
            self.automation_note = None


def _absolute(path, option):
    if not isinstance(path, str) or not os.path.isabs(path) or "\n" in path or any(c.isspace() for c in path):
        raise RequestError("%s must be an absolute path without whitespace" % option)
    return os.path.normpath(path)


def _rate_limit(deny, unlock_time):
    """{deny, unlock_time} of the pam_faillock lines, or None (``deny`` 0: no rate limit); the bounds are pam_stack's."""
    off = deny == 0 and not isinstance(deny, bool)
    problem = pam_stack.rate_limit_problem(1 if off else deny, unlock_time)
    if problem and problem[0] == "deny":
        raise RequestError("rate_limit_deny must be a whole number from 0 (no rate limit) to %d (NIST SP 800-63B), "
                           "got %r" % (pam_stack.MAX_DENY, deny))
    if problem:
        raise RequestError("rate_limit_unlock_time must be %s, got %r" % (problem[1], unlock_time))
    return None if off else {"deny": deny, "unlock_time": unlock_time}
