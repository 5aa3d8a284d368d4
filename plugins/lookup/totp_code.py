# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: totp_code
author: fleet2fa.nas developers (@fleet2fa)
short_description: The current one-time code of a user on a host, from the escrow
version_added: 0.1.0
description:
  - Returns the current TOTP code of O(user) on each host given, computed from the escrowed secret
    (V(file) and V(kv) backends) or asked of the OpenBao/Vault TOTP engine (V(totp_engine)).
  - For break-glass logins and for tests. The code is valid for one time step; it is not a secret
    worth hiding for long, but a task that prints it should still be yours alone.
  - The V(file) backend is decrypted with the play's vault secrets (C(--vault-id), C(--vault-password-file)).
options:
  _terms:
    description: Inventory host names whose codes to return.
    required: true
    type: list
    elements: str
  user:
    description: The user whose code to return.
    type: str
    default: root
extends_documentation_fragment:
  - fleet2fa.nas.escrow
"""

EXAMPLES = r"""
- name: Show the current code of root on nas1 (break glass)
  ansible.builtin.debug:
    msg: "{{ lookup('fleet2fa.nas.totp_code', 'nas1', user='root', escrow={'dir': 'escrow'}) }}"

- name: Log in with password and code
  ansible.builtin.set_fact:
    fleet2fa_otp: "{{ lookup('fleet2fa.nas.totp_code', inventory_hostname, user='root', escrow={'dir': 'escrow'}) }}"
"""

RETURN = r"""
_raw:
  description: One code a host, as strings of 6 to 8 digits.
  type: list
  elements: str
"""

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowLookup


class LookupModule(EscrowLookup):
    def lookup(self, store, host):
        return store.code(host, self.get_option("user"))
