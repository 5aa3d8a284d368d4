# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: totp_escrow
author: fleet2fa.nas developers (@fleet2fa)
short_description: The escrowed TOTP secret of a user on a host, for break glass
version_added: 0.1.0
description:
  - Returns the escrowed secret of O(user) on each host given, for an admin who must type it into an
    authenticator app by hand, or for a tool of your own. Use it only in tasks with C(no_log=true),
    because a secret in a task result or a message is printed for everyone who reads the log.
  - The collection's own modules never need it; M(fleet2fa.nas.sshd_otp) reads the escrow itself.
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
- name: Write the secret of root on nas1 into a 0600 file for an admin to type in (break glass)
  ansible.builtin.copy:
    content: "{{ lookup('fleet2fa.nas.totp_escrow', 'nas1', user='root', escrow={'dir': playbook_dir ~ '/escrow'}) }}\n"
    dest: /root/nas1-root.secret
    mode: "0600"
  delegate_to: localhost
  no_log: true
"""

RETURN = r"""
_raw:
  description: One secret a host.
  type: list
  elements: str
"""

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowLookup
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError


class LookupModule(EscrowLookup):
    def lookup(self, store, host):
        user = self.get_option("user")
        entry = store.get(host, user)
        if entry is None:
            raise EscrowError("%s has no secret for user %s" % (store.location(host), user))
        if entry.key is None:
            raise EscrowError("the key of %s on %s lives in the TOTP engine and cannot be read back" % (user, host))
        return entry.key.hex if self.get_option("encoding") == "hex" else entry.key.secret
