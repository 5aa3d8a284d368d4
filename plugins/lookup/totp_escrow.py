# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: totp_escrow
author: fleet2fa.nas developers (@fleet2fa)
short_description: The escrowed TOTP secret of a user on a host, to hand to a host module
version_added: 0.1.0
description:
  - Returns the escrowed secret of O(user) on each host given, for a module argument that the module
    declares C(no_log). Use it only in tasks with C(no_log=true), because a secret in a task result or a
    message is printed for everyone who reads the log.
  - The V(totp_engine) backend cannot give its keys back; this lookup fails for it.
options:
  _terms:
    description: Inventory host names.
    required: true
    type: list
    elements: str
  user:
    description: The user whose secret to return.
    type: str
    default: root
  encoding:
    description: V(base32) (no padding, as authenticator apps and TrueNAS take it) or V(hex) (as in pam_oath's users file).
    type: str
    choices: [base32, hex]
    default: base32
extends_documentation_fragment:
  - fleet2fa.nas.escrow
"""

EXAMPLES = r"""
- name: Hand the escrowed secret to the pam_oath module, never to the log
  fleet2fa.nas.sshd_otp:
    users:
      - name: root
        secret: "{{ lookup('fleet2fa.nas.totp_escrow', inventory_hostname, user='root', escrow_dir=playbook_dir ~ '/escrow') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One secret a host.
  type: list
  elements: str
"""

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.fleet2fa.nas.plugins.plugin_utils.controller import (
    ESCROW_ARGSPEC,
    failing_as_lookup,
    open_for_plugin,
)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        args = {name: self.get_option(name) for name in ESCROW_ARGSPEC}
        user = self.get_option("user")
        secrets = []
        with failing_as_lookup():
            store = open_for_plugin(self, args)
            for host in terms:
                entry = store.get(str(host), user)
                if entry is None:
                    raise AnsibleError("%s has no secret for user %s" % (store.location(str(host)), user))
                if entry.key is None:
                    raise AnsibleError("the key of %s on %s lives in the TOTP engine and cannot be read back" % (user, host))
                secrets.append(entry.key.hex if self.get_option("encoding") == "hex" else entry.key.secret)
        return secrets
