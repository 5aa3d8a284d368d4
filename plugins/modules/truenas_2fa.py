#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: truenas_2fa
short_description: Switch TrueNAS global two-factor authentication and SSH 2FA on or off
version_added: 0.1.0
description:
  - Reads C(auth.twofactor.config) and calls C(auth.twofactor.update) with only what differs.
  - Turn O(ssh) on last, after every user who logs in with a password over SSH has a secret
    (M(fleet2fa.nas.truenas_user_2fa)) and a web UI or API login with password and code was proven
    (see the rollout order in docs/truenas.md). Ansible's own SSH key login is never affected.
  - On 23.10 the global O(otp_digits) and O(interval) are never changed, because a change wipes every
    user's secret there; on 24.04 and later they are per user.
author: fleet2fa.nas developers (@fleet2fa)
options:
  enabled:
    description: Whether two-factor authentication is on for the web UI and API (and SSH with O(ssh)).
    type: bool
  window:
    description:
      - How many time steps before and after the current one a code may come from (0 to 10).
      - 1 tolerates a clock drift of up to one period; the box's clock must be kept by NTP.
    type: int
  ssh:
    description: Whether SSH password logins must also give a one-time code (C(services.ssh)).
    type: bool
  otp_digits:
    description:
      - Digits of the global secret, CORE 13 and SCALE 22.12 only (6 to 8).
      - On 23.10 only accepted when it equals the box's value; refused on 24.04 and later (per user there).
    type: int
    choices: [6, 7, 8]
  interval:
    description:
      - Period in seconds of the global secret, CORE 13 and SCALE 22.12 only.
      - Only 30 and 60 are offered, the periods pam_oath's users file knows.
    type: int
    choices: [30, 60]
extends_documentation_fragment:
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ACTIONGROUP_TRUENAS
  - fleet2fa.nas.truenas
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the global settings only; the CORE/22.12 global secret is never shown.
  idempotent:
    support: full
seealso:
  - ref: ansible_collections.fleet2fa.nas.docsite.truenas
    description: Transports, versions and the rollout order that avoids lockouts (docs/truenas.md).
  - module: fleet2fa.nas.truenas_user_2fa
  - module: fleet2fa.nas.truenas_ssh
"""

EXAMPLES = r"""
- name: Turn 2FA on for the web UI and API, not yet for SSH
  fleet2fa.nas.truenas_2fa:
    enabled: true
    window: 1
    ssh: false

- name: Then SSH, once every password user has a secret and an API login with a code was proven
  fleet2fa.nas.truenas_2fa:
    enabled: true
    ssh: true

- name: The same over the network with an API key, from the controller
  fleet2fa.nas.truenas_2fa:
    enabled: true
    window: 1
    transport: websocket
    api_url: "wss://{{ ansible_host }}"
    api_key: "{{ truenas_api_key }}"
    api_username: root
  delegate_to: localhost
"""

RETURN = r"""
config:
  description: The global 2FA settings after the task (what they would be, in check mode). Never the secret.
  returned: success
  type: dict
  sample: {enabled: true, window: 1, ssh: false}
truenas_version:
  description: The box's C(system.version).
  returned: success
  type: str
  sample: TrueNAS-SCALE-23.10.2
profile:
  description: The release line whose behaviour was applied.
  returned: success
  type: str
  sample: "23.10"
transport:
  description: How the middleware was reached.
  returned: success
  type: str
  sample: midclt
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import CONNECTION_REQUIRED_IF
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.twofactor import GLOBAL_ARGSPEC, run_global


def main():
    module = AnsibleModule(argument_spec=GLOBAL_ARGSPEC, required_if=CONNECTION_REQUIRED_IF, supports_check_mode=True)
    run_global(module)


if __name__ == "__main__":
    main()
