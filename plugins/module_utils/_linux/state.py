# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What 2FA looks like on one Linux host right now, read-only and metadata only.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The users file, the sshd PAM stack and our sshd drop-in are read with the same classes that sshd_otp
writes them with, and ``sshd -T -C user=...`` says what sshd will really ask each user for. Where sshd
and its unit are comes from layout.py, for the report and for the disable role. Users file lines
become fingerprints: no secret enters a result. ``posture`` holds the facts of the report's findings
(posture.py), read in the same call.
"""

from __future__ import annotations

import json
import os

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout, pam_stack, posture, sshd_config
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.files import read_text
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.oath_users import OathUsersFile
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_host import STATE_FILE
from ansible_collections.fleet2fa.nas.plugins.module_utils._time import iso_utc


def _pam_usersfile(line, default):
    for word in line.split("#", 1)[0].split():
        if word.startswith("usersfile="):
            return word.split("=", 1)[1]
    return default


def _user_row(entry, managed_users, oath_lines, run, sshd, effective_of):
    row = {
        "user": entry.user,
        "type": entry.token_type,
        "fingerprint": entry.fingerprint,
        "last_used": iso_utc(entry.last_used) if entry.last_used is not None else None,
        "managed": entry.user in managed_users,
    }
    effective, error = sshd_config.effective_settings(run, sshd, entry.user) if sshd else (None, "no sshd binary")
    effective_of[entry.user] = effective
    if effective is None:
        row["sshd_error"] = (error.splitlines() or ["sshd -T failed"])[-1]
        row["ssh_otp"] = False
        return row
    methods = effective.get("authenticationmethods", "any")
    row["authentication_methods"] = methods
    row["password_authentication"] = effective.get("passwordauthentication") == "yes"
    # Password + code: PAM asks for both over keyboard-interactive, and a bare password is refused.
    row["ssh_otp"] = bool(oath_lines) and effective.get("usepam") == "yes" \
        and not row["password_authentication"] and "keyboard-interactive" in methods
    return row


def linux_state(params, run):
    """The 2FA state of a Linux host; ``run(argv)`` returns (rc, out, err)."""
    paths = {name: params.get(name) or default for name, default in layout.DEFAULT_PATHS.items()}
    pam_text = read_text(paths["pam_file"], errors="replace")
    oath_lines = pam_stack.SshdPamStack(pam_text).oath_lines() if pam_text is not None else []
    usersfile = _pam_usersfile(oath_lines[0], paths["usersfile"]) if oath_lines else paths["usersfile"]
    oath = OathUsersFile.read(usersfile)
    main_text = read_text(paths["sshd_config"], errors="replace")
    dropin_text = read_text(paths["dropin"], errors="replace")
    included = main_text is not None and sshd_config.SshdMainConfig(main_text).include_line_index(
        paths["dropin"]) is not None
    state = json.loads(read_text(os.path.join(paths["backup_dir"], STATE_FILE)) or "{}")
    sshd = layout.find_sshd()
    effective = {}
    users = [_user_row(entry, state.get("users", []), oath_lines, run, sshd, effective) for entry in oath.entries()]
    return {
        "platform": "linux",
        "two_factor": bool(oath_lines) and bool(users),
        "ssh_otp": bool(users) and all(u["ssh_otp"] for u in users),
        "usersfile": usersfile,
        "pam": {"file": paths["pam_file"], "present": pam_text is not None, "oath_lines": len(oath_lines)},
        "sshd": {
            "binary": sshd,
            "service": layout.service_unit(run),
            "dropin": paths["dropin"],
            "dropin_present": dropin_text is not None,
            "dropin_managed": (dropin_text or "").startswith(sshd_config.HEADER),
            "dropin_included": included,
        },
        "users": users,
        "posture": posture.linux_posture(paths, usersfile, pam_text, [u["user"] for u in users], effective, run, sshd),
    }
