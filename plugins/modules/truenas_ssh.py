#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: truenas_ssh
short_description: Allow SSH password login for named TrueNAS users, and keep the SSH service up
version_added: 0.1.0
description:
  - "SSH password login lives in different places by version: C(rootlogin) in C(ssh.config) (CORE 13,
    SCALE 22.12; also C(adminlogin) on 22.12), then C(ssh_password_enabled) on each user (23.10 and later).
    On CORE and 22.12 other users' password login follows O(password_auth) alone."
  - Reads C(ssh.config), the users and C(service.query) first and changes only what differs.
  - After a change, makes it live with the verb of the version (C(service.reload) or C(service.restart)
    up to 25.04, the C(service.control) job from 25.10).
  - From 25.04 the box refuses password login for a user without a 2FA secret while SSH 2FA is on;
    give the user a secret first (M(fleet2fa.nas.truenas_user_2fa)).
  - Users not named are left as they are.
author: fleet2fa.nas developers (@fleet2fa)
options:
  password_login_users:
    description: Users who may log in over SSH with a password (plus a code once SSH 2FA is on).
    type: list
    elements: str
    default: []
  password_auth:
    description: Whether sshd accepts passwords at all (C(passwordauth)).
    type: bool
  enabled:
    description: Whether the SSH service starts at boot (C(service.update) C(enable)).
    type: bool
  state:
    description: V(started) starts the service when it is not running; V(stopped) stops it.
    type: str
    choices: [started, stopped]
  apply_with:
    description:
      - How a changed configuration is made live when the service runs. V(none) leaves it to the box
        (C(ssh.update) reloads by itself; C(user.update) may not).
    type: str
    choices: [reload, restart, none]
    default: reload
extends_documentation_fragment:
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ACTIONGROUP_TRUENAS
  - fleet2fa.nas.truenas
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - ref: ansible_collections.fleet2fa.nas.docsite.truenas
    description: Where SSH password login lives, version by version (docs/truenas.md).
  - module: fleet2fa.nas.truenas_2fa
"""

EXAMPLES = r"""
- name: Root may log in with a password (and a code, once SSH 2FA is on); SSH starts at boot
  fleet2fa.nas.truenas_ssh:
    password_login_users: [root]
    password_auth: true
    enabled: true
    state: started
"""

RETURN = r"""
service_action:
  description: The service verb used to make the change live, or V(null).
  returned: success
  type: str
  sample: reload
notes:
  description: What the version made of the request, for example users whose password login follows O(password_auth).
  returned: success
  type: list
  elements: str
  sample: []
truenas_version:
  description: The box's C(system.version).
  returned: success
  type: str
  sample: TrueNAS-13.0-U6.7
profile:
  description: The release line whose behaviour was applied.
  returned: success
  type: str
  sample: "13.0"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import CONNECTION_REQUIRED_IF
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.ssh_service import SSH_ARGSPEC, run_ssh


def main():
    module = AnsibleModule(argument_spec=SSH_ARGSPEC, required_if=CONNECTION_REQUIRED_IF, supports_check_mode=True)
    run_ssh(module)


if __name__ == "__main__":
    main()
