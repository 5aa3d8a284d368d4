#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: truenas_user_2fa
short_description: Give a TrueNAS user a 2FA secret made by the box, and escrow it on the controller
version_added: 0.1.0
description:
  - The box makes the secret (no TrueNAS version accepts one from a client). The module asks for a new
    one only when the user has none or O(regenerate=always); the provisioning URI then goes from the box
    to the controller's escrow and is removed from the result. Results and diffs carry metadata only.
  - "Per version: 23.10 and later C(user.renew_2fa_secret); CORE 13 and SCALE 22.12 have one global secret
    (C(auth.twofactor.renew_secret)), which plays this part for every user (root only on CORE)."
  - "When the box already has a secret but the escrow lacks it: CORE and 22.12 read the global secret,
    23.10 to 24.10 read it with C(user.provisioning_uri); 25.04 and later reveal a secret only when they
    make a new one, so the task fails and asks for O(regenerate=always), an explicit rotation."
  - On 23.10 O(otp_digits) and O(interval) are global; the task fails if they differ from the box's
    instead of changing them, since a change wipes every user's secret there.
  - The module part runs where the task runs (the box with O(transport=midclt)); the escrow part always
    runs on the controller.
  - The box uses a secret it makes at once, so with O(state=present) the escrow is checked first (its folder,
    the host's lock, a vault secret that decrypts and encrypts; for KV a read). An escrow that could not take
    the new secret fails the task before the box is asked, and the box keeps the secret the escrow holds.
author: fleet2fa.nas developers (@fleet2fa)
options:
  user:
    description: The local user whose secret it is.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the user has a secret and the escrow holds it.
      - V(absent) clears the user's secret on the box (C(user.unset_2fa_secret), 23.10 and later; up to
        25.04 only while global 2FA is off). The escrow entry is kept, for the record; the next
        V(present) replaces it.
    type: str
    choices: [present, absent]
    default: present
  regenerate:
    description:
      - V(never) keeps a configured secret.
      - V(always) makes the box generate a new one and replaces the escrowed one. This is a rotation,
        devices enrolled with the old secret stop working.
    type: str
    choices: [never, always]
    default: never
  otp_digits:
    description:
      - Digits of the codes, used when a secret is made (24.04 and later, per user).
      - On CORE, 22.12 and 23.10 the value is global; the task only checks that the box's value is the same.
      - Defaults to 6 when a secret is made.
    type: int
    choices: [6, 7, 8]
  interval:
    description:
      - Period in seconds, used when a secret is made (24.04 and later, per user).
      - Only 30 and 60 are offered, the periods pam_oath and TrueNAS 26 accept; any other value is refused
        before the box is called. Defaults to 30 when a secret is made.
    type: int
    choices: [30, 60]
  secret_escrowed:
    description:
      - Set by the action plugin, which knows whether the escrow already holds a secret for O(user).
        Leave it alone.
    type: bool
    default: false
  transfer_pad:
    description:
      - Set by the action plugin, a one-time pad for this call only. The module returns the provisioning
        URI XORed with it, so that the raw module output (which the SSH connection shows at C(-vvvv))
        never carries the secret. Leave it alone.
    type: str
extends_documentation_fragment:
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ACTION
  - fleet2fa.nas.truenas
  - fleet2fa.nas.escrow
attributes:
  check_mode:
    support: full
    details: Reports that a secret would be made or cleared; neither the box nor the escrow is changed.
  diff_mode:
    support: full
    details: The diff shows whether a secret is configured, never the secret.
  idempotent:
    support: partial
    details: Not idempotent with O(regenerate=always).
  action:
    details: The escrow is written on the controller; the middleware calls run where the task runs.
  action_group:
    description: Use C(group/fleet2fa.nas.escrow) or C(group/fleet2fa.nas.truenas) in C(module_defaults) to set options once.
    support: full
    membership:
      - fleet2fa.nas.escrow
      - fleet2fa.nas.truenas
notes:
  - The escrow is keyed by C(inventory_hostname), also with C(delegate_to).
  - The provisioning URI travels from the module to the action plugin sealed with a one-time pad that the
    action plugin made for that call; the action plugin runs the module with C(no_log), opens the URI,
    escrows it and drops it. Neither the URI nor the secret appears in output, even at C(-vvvv).
  - Order matters for a safe rollout; see M(fleet2fa.nas.truenas_2fa) and docs/truenas.md.
seealso:
  - ref: ansible_collections.fleet2fa.nas.docsite.truenas
    description: Who makes the secrets and how they reach the escrow, version by version (docs/truenas.md).
  - module: fleet2fa.nas.truenas_2fa
  - module: fleet2fa.nas.truenas_ssh
  - module: fleet2fa.nas.totp_secret
"""

EXAMPLES = r"""
- name: Give root a secret made by the box, escrowed in a vault-encrypted file on the controller
  fleet2fa.nas.truenas_user_2fa:
    user: root
    escrow:
      dir: "{{ playbook_dir }}/escrow"

- name: Rotate admin's secret (25.04 and later need this when the escrow lost it)
  fleet2fa.nas.truenas_user_2fa:
    user: admin
    regenerate: always
    interval: 30
    escrow:
      dir: "{{ playbook_dir }}/escrow"

- name: Over the network with an API key
  fleet2fa.nas.truenas_user_2fa:
    user: root
    escrow:
      dir: "{{ playbook_dir }}/escrow"
    transport: websocket
    api_url: "wss://{{ ansible_host }}"
    api_key: "{{ truenas_api_key }}"
    api_username: root
  delegate_to: localhost
"""

RETURN = r"""
user:
  description: The user.
  returned: success
  type: str
  sample: root
secret_configured:
  description: Whether the user has a secret on the box after the task.
  returned: success
  type: bool
  sample: true
new_secret:
  description: Whether the box made a new secret in this task.
  returned: success
  type: bool
  sample: false
rotated:
  description: Whether an existing secret was replaced.
  returned: success
  type: bool
  sample: false
escrowed:
  description: Whether the escrow holds the user's secret after the task.
  returned: success
  type: bool
  sample: true
escrow:
  description: Metadata of the escrowed entry (fingerprint, digits, interval, times); never the secret.
  returned: when the escrow holds an entry
  type: dict
  sample: {fingerprint: "sha256:01a23f6887131c92", digits: 6, interval: 30, source: host}
truenas_version:
  description: The box's C(system.version).
  returned: success
  type: str
  sample: TrueNAS-25.04.2
profile:
  description: The release line whose behaviour was applied.
  returned: success
  type: str
  sample: "25.04"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import CONNECTION_REQUIRED_IF
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.twofactor import USER_SECRET_ARGSPEC, run_user_secret


def main():
    module = AnsibleModule(argument_spec=USER_SECRET_ARGSPEC, required_if=CONNECTION_REQUIRED_IF, supports_check_mode=True)
    run_user_secret(module)


if __name__ == "__main__":
    main()
