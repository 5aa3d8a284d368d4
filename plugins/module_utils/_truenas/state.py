# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What 2FA looks like on one TrueNAS box right now, read-only and metadata only.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The middleware's global 2FA settings, each user's ``twofactor_auth_configured`` and who may log in
over SSH with a password. The global secret of CORE and 22.12 stays inside
``public_twofactor_config``: no secret enters a result.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.ssh_service import password_login_allowed
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.twofactor import public_twofactor_config


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
    }
