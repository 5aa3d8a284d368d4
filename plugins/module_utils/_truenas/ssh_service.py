# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TrueNAS SSH service: password login for named users, password auth, boot, reload.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Where SSH password login lives moved in 23.10 (docs/truenas.md §6): ``rootlogin`` (CORE 13,
22.12) and ``adminlogin`` (22.12) in ``ssh.config``; then ``ssh_password_enabled`` on each user.
``plan_ssh`` decides from what the box reported; ``ensure_ssh`` reads, plans and applies.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import CONNECTION_ARGSPEC, run_ensure

SSH_SERVICE = "ssh"

# The options of fleet2fa.nas.truenas_ssh.
SSH_ARGSPEC = dict(
    password_login_users=dict(type="list", elements="str", default=[], no_log=False),
    password_auth=dict(type="bool", no_log=False),
    enabled=dict(type="bool"),
    state=dict(type="str", choices=["started", "stopped"]),
    apply_with=dict(type="str", choices=["reload", "restart", "none"], default="reload"),
    **CONNECTION_ARGSPEC
)


def plan_ssh(caps, ssh_config, users, password_login_users=None, password_auth=None):
    """(``ssh.update`` payload, [(user id, username) to enable], notes) for what differs."""
    payload = {}
    enable_users = []
    notes = []
    if password_auth is not None and bool(ssh_config.get("passwordauth")) != password_auth:
        payload["passwordauth"] = password_auth
    for name in password_login_users or ():
        if caps.ssh_user_password_field:
            entry = users[name]
            if not entry.get("ssh_password_enabled"):
                enable_users.append((entry["id"], name))
        elif name == "root":
            if not ssh_config.get("rootlogin"):
                payload["rootlogin"] = True
        elif name == "admin" and caps.ssh_adminlogin:
            if not ssh_config.get("adminlogin"):
                payload["adminlogin"] = True
        else:
            notes.append("on %s, password login of %s follows password_auth alone" % (caps.profile, name))
    return payload, enable_users, notes


def ensure_ssh(client, check_mode, password_login_users=None, password_auth=None, enabled=None, state=None,
               apply_with="reload"):
    caps = client.caps
    ssh_config = client.call("ssh.config")
    users = {}
    if caps.ssh_user_password_field:
        users = client.users(password_login_users or ())
    payload, enable_users, notes = plan_ssh(caps, ssh_config, users, password_login_users, password_auth)
    service = client.service(SSH_SERVICE)
    running = service.get("state") == "RUNNING"
    boot_change = enabled is not None and bool(service.get("enable")) != enabled
    start = state == "started" and not running
    stop = state == "stopped" and running
    config_changed = bool(payload or enable_users)

    allowed = [name for name in password_login_users or () if password_login_allowed(caps, ssh_config, users, name)]
    before = {
        "password_auth": bool(ssh_config.get("passwordauth")),
        "password_login_users": sorted(allowed),
        "enabled": bool(service.get("enable")),
        "running": running,
    }
    after = dict(before)
    if "passwordauth" in payload:
        after["password_auth"] = payload["passwordauth"]
    after["password_login_users"] = sorted(password_login_users or ())
    if boot_change:
        after["enabled"] = enabled
    if start or stop:
        after["running"] = start

    applied = None
    if not check_mode:
        if payload:
            client.call("ssh.update", payload)
        for user_id, _name in enable_users:
            client.call("user.update", user_id, {"ssh_password_enabled": True})
        if boot_change:
            client.call("service.update", service["id"], {"enable": enabled})
        if start:
            client.control_service("start", SSH_SERVICE)
            applied = "start"
        elif stop:
            client.control_service("stop", SSH_SERVICE)
            applied = "stop"
        elif config_changed and running and apply_with != "none":
            # ssh.update reloads by itself; user.update may not, so make the new sshd_config live.
            client.control_service(apply_with, SSH_SERVICE)
            applied = apply_with
    return {
        "changed": config_changed or boot_change or start or stop,
        "service_action": applied,
        "notes": notes,
        "diff": {"before": before, "after": after},
    }


def run_ssh(module):
    """The body of fleet2fa.nas.truenas_ssh."""
    run_ensure(module, ensure_ssh, ("password_login_users", "password_auth", "enabled", "state", "apply_with"))


def password_login_allowed(caps, ssh_config, users, name):
    """Whether the box lets ``name`` log in over SSH with a password, the way its version records it."""
    if caps.ssh_user_password_field:
        return bool(users[name].get("ssh_password_enabled"))
    if name == "root":
        return bool(ssh_config.get("rootlogin"))
    if name == "admin" and caps.ssh_adminlogin:
        return bool(ssh_config.get("adminlogin"))
    return bool(ssh_config.get("passwordauth"))
