# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What 2FA looks like on one TrueNAS box right now, read-only and metadata only.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The middleware's global 2FA settings, each user's ``twofactor_auth_configured`` and who may log in
over SSH with a password. The global secret of CORE and 22.12 stays inside
``public_twofactor_config``: no secret enters a result.
"""

from __future__ import annotations

import time

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.errors import MiddlewareError
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.ssh_service import password_login_allowed
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.twofactor import public_twofactor_config


def _is_admin(row):
    """A named account with full admin rights: the FULL_ADMIN role (24.04+) or sudo ALL (earlier)."""
    if row.get("username") == "root" or row.get("locked"):
        return False
    if "FULL_ADMIN" in (row.get("roles") or []):
        return True
    return "ALL" in (row.get("sudo_commands") or []) or "ALL" in (row.get("sudo_commands_nopasswd") or [])


def _optional(client, method):
    """A method's answer, or None where the version (or the simulator) does not have it."""
    try:
        return client.call(method)
    except MiddlewareError:
        return None


def failure_limits(caps, security):
    """What the box itself does about failed codes: tries a login and the STIG mode lockout.

    ``stig``: system.security's enable_gpos_stig (25.04+, mw:plugins/security/update.py:27 on
    stable/fangtooth, goldeye and 26); False where the version has no STIG mode, None where the
    config could not be read.
    """
    if caps.stig_lockout is None:
        stig = False
    elif isinstance(security, dict) and isinstance(security.get("enable_gpos_stig"), bool):
        stig = security["enable_gpos_stig"]
    else:
        stig = None
    lockout = None
    if stig:
        deny, unlock_time = caps.stig_faillock or (None, None)
        lockout = {"by": caps.stig_lockout, "deny": deny, "unlock_time": unlock_time}
    return {"stig": stig, "otp_tries_per_login": caps.otp_tries_per_login, "lockout": lockout}


def stig_readiness(caps, config, rows):
    """The 2FA preconditions that the box checks before it turns STIG mode on, and which of them fail.

    system.security.update refuses enable_gpos_stig unless 2FA is on globally and for SSH, a local
    unlocked user with a 2FA secret exists and one of them is a full admin, and no built-in admin
    account keeps password login (validate_stig, stable/goldeye mw:plugins/security/update.py:105-207;
    the same checks on stable/fangtooth :99-194 and stable/26 :105-202). The box reads password
    hashes for the last check; this reads ``password_disabled`` of the built-in full admins (root,
    truenas_admin) and never a hash. The other preconditions (FIPS, no VMs or apps, TrueCommand) are
    not 2FA's and are left out. None where the version has no STIG mode (up to 24.10).
    """
    if caps.stig_lockout is None:
        return None
    missing = []
    if not config.get("enabled"):
        missing.append("2FA is not enabled globally")
    elif not config.get("ssh"):
        missing.append("2FA is not enabled for SSH")
    usable = [r for r in rows if r.get("local", True) and not r.get("locked")]
    with_secret = [r for r in usable if r.get("twofactor_auth_configured")]
    if not with_secret:
        missing.append("no local user has a 2FA secret")
    elif not any("FULL_ADMIN" in (r.get("roles") or []) for r in with_secret):
        missing.append("no local full admin has a 2FA secret")
    builtin = sorted(r["username"] for r in usable if r.get("immutable") and "FULL_ADMIN" in (r.get("roles") or [])
                     and not r.get("password_disabled"))
    if builtin:
        missing.append("built-in admin accounts keep password login: %s" % ", ".join(builtin))
    return {"ready": not missing, "missing": missing}


def posture(client, rows):
    """The facts of the report's findings: API keys per owner (never a key), named admins, the HTTP redirect."""
    keys = []
    for key in _optional(client, "api_key.query") or []:
        if key.get("revoked"):
            continue
        # Up to 24.10 a key is global (any holder is a full admin); from 25.04 it belongs to a user.
        keys.append({"id": key.get("id"), "name": key.get("name"), "owner": key.get("username")})
    general = _optional(client, "system.general.config")
    return {
        "limits": failure_limits(client.caps, _optional(client, "system.security.config")),
        "host_time": time.time(),
        "api_keys": keys,
        "admins": sorted(r["username"] for r in rows if _is_admin(r)),
        # ui_httpsredirect (system.general.config): null where it could not be read.
        "https_redirect": bool(general.get("ui_httpsredirect")) if isinstance(general, dict) else None,
    }


def truenas_state(client):
    """The 2FA state of a TrueNAS box through its middleware client."""
    caps = client.caps
    config = public_twofactor_config(caps, client.twofactor_config())
    ssh_config = client.call("ssh.config")
    wanted = ["root"] + (["admin"] if caps.ssh_adminlogin else [])
    found = {}
    rows = client.call("user.query")
    for row in rows:
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
        users.append({
            "user": name,
            "twofactor_configured": configured,
            "ssh_password_login": password_login_allowed(caps, ssh_config, found, name),
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
        "posture": posture(client, rows),
        "stig_readiness": stig_readiness(caps, config, rows),
    }
