# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What 2FA looks like on one host right now, read-only and metadata only.

Linux: the users file, the sshd PAM stack and our sshd drop-in are read with the same classes that
sshd_otp writes them with, and ``sshd -T -C user=...`` says what sshd will really ask each user for.
TrueNAS: the middleware's global 2FA settings, each user's ``twofactor_auth_configured`` and who may
log in over SSH with a password. Nothing here reads a secret into a result: users.oath lines become
fingerprints, and the middleware's global secret (CORE, 22.12) stays inside
``public_twofactor_config``.
"""

from __future__ import annotations

import datetime
import json
import os

from ansible_collections.fleet2fa.nas.plugins.module_utils import pam_stack, sshd_config
from ansible_collections.fleet2fa.nas.plugins.module_utils.oath_users import OathUsersFile
from ansible_collections.fleet2fa.nas.plugins.module_utils.sshd_otp_host import SSHD_PATHS, STATE_FILE
from ansible_collections.fleet2fa.nas.plugins.module_utils.truenas_ssh_service import password_login_allowed
from ansible_collections.fleet2fa.nas.plugins.module_utils.truenas_twofactor import public_twofactor_config

LINUX_DEFAULTS = {
    "usersfile": "/etc/users.oath",
    "pam_file": "/etc/pam.d/sshd",
    "sshd_config": "/etc/ssh/sshd_config",
    "dropin": "/etc/ssh/sshd_config.d/00-fleet2fa-otp.conf",
    "backup_dir": "/var/lib/fleet2fa/sshd_otp",
}


def _iso(epoch):
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read(path):
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _pam_usersfile(line, default):
    for word in line.split("#", 1)[0].split():
        if word.startswith("usersfile="):
            return word.split("=", 1)[1]
    return default


def _effective_sshd(run, sshd, user):
    """sshd -T for ``user`` (Match blocks evaluated) as {keyword: value}, or an error string."""
    spec = "user=%s,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=22" % user
    rc, out, err = run([sshd, "-T", "-C", spec])
    if rc != 0:
        return None, (err or out).strip().splitlines()[-1:] or ["sshd -T failed"]
    return sshd_config.parse_sshd_t(out), None


def linux_state(params, run):
    """The 2FA state of a Linux host; ``run(argv)`` returns (rc, out, err)."""
    paths = {name: params.get(name) or default for name, default in LINUX_DEFAULTS.items()}
    pam_text = _read(paths["pam_file"])
    oath_lines = pam_stack.SshdPamStack(pam_text).oath_lines() if pam_text is not None else []
    usersfile = _pam_usersfile(oath_lines[0], paths["usersfile"]) if oath_lines else paths["usersfile"]
    oath = OathUsersFile.read(usersfile)

    main_text = _read(paths["sshd_config"])
    dropin_text = _read(paths["dropin"])
    included = main_text is not None and sshd_config.SshdMainConfig(main_text).include_line_index(
        paths["dropin"]) is not None
    managed_users = json.loads(_read(os.path.join(paths["backup_dir"], STATE_FILE)) or "{}").get("users", [])

    sshd = next((p for p in SSHD_PATHS if os.path.exists(p)), None)
    users = []
    for entry in oath.entries():
        row = {
            "user": entry.user,
            "type": entry.token_type,
            "fingerprint": entry.fingerprint,
            "last_used": _iso(entry.last_used),
            "managed": entry.user in managed_users,
        }
        effective, error = _effective_sshd(run, sshd, entry.user) if sshd else (None, ["no sshd binary"])
        if effective is None:
            row["sshd_error"] = error[0]
            row["ssh_otp"] = False
        else:
            methods = effective.get("authenticationmethods", "any")
            row["authentication_methods"] = methods
            row["password_authentication"] = effective.get("passwordauthentication") == "yes"
            # Password + code: PAM asks for both over keyboard-interactive, and a bare password is refused.
            row["ssh_otp"] = bool(oath_lines) and effective.get("usepam") == "yes" \
                and not row["password_authentication"] and "keyboard-interactive" in methods
        users.append(row)
    return {
        "platform": "linux",
        "two_factor": bool(oath_lines) and bool(users),
        "ssh_otp": bool(users) and all(u["ssh_otp"] for u in users),
        "usersfile": usersfile,
        "pam": {"file": paths["pam_file"], "present": pam_text is not None, "oath_lines": len(oath_lines)},
        "sshd": {
            "dropin": paths["dropin"],
            "dropin_present": dropin_text is not None,
            "dropin_managed": (dropin_text or "").startswith(sshd_config.HEADER),
            "dropin_included": included,
        },
        "users": users,
    }


def truenas_state(client):
    """The 2FA state of a TrueNAS box through its middleware client."""
    caps = client.caps
    config = public_twofactor_config(caps, client.twofactor_config())
    ssh_config = client.call("ssh.config")
    wanted = ["root"] + (["admin"] if caps.ssh_adminlogin else [])
    found = {}
    for row in client.call("user.query"):
        name = row.get("username")
        if name in wanted or row.get("twofactor_auth_configured") or row.get("ssh_password_enabled"):
            found[name] = row
    users = []
    for name in sorted(found):
        row = found[name]
        if caps.global_secret:
            configured = name == "root" and bool(config.get("secret_configured"))
        else:
            configured = bool(row.get("twofactor_auth_configured"))
        password_login = password_login_allowed(caps, ssh_config, found, name)
        users.append({
            "user": name,
            "twofactor_configured": configured,
            "ssh_password_login": password_login,
            "ssh_otp": bool(config["enabled"] and config["ssh"] and configured),
        })
    return {
        "platform": "truenas",
        "two_factor": bool(config["enabled"]),
        "ssh_otp": bool(config["enabled"] and config["ssh"]),
        "twofactor": config,
        "ssh": {"password_auth": bool(ssh_config.get("passwordauth")),
                "password_login_users": [u["user"] for u in users if u["ssh_password_login"]]},
        "users": users,
    }
