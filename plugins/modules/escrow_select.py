#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: escrow_select
short_description: Choose escrowed users of a host by a JMESPath expression over their metadata
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - "Reads the escrow entries of O(users) on C(inventory_hostname) and evaluates O(query) on each one's metadata:
    C(host), C(user), C(fingerprint), C(created), C(rotated), C(age_days) (since the last rotation, else the creation),
    C(source), C(devices), C(verified_devices) (a count), C(last_proven_login), C(digits), C(period)."
  - An entry is chosen when the expression gives a truthy value; without O(query) every escrowed user is chosen.
  - The rotate role uses it to pick, for example, secrets older than 90 days. Never reads out a secret.
  - Runs on the controller only. Needs the Python library C(jmespath) there.
options:
  users:
    description: The users to look at.
    type: list
    elements: str
    default: [root]
  query:
    description: A JMESPath expression, for example V(age_days > `90`) or V(verified_devices < `2`).
    type: str
extends_documentation_fragment:
  - fleet2fa.nas.escrow
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ESCROW_ACTION
seealso:
  - module: fleet2fa.nas.totp_secret
"""

EXAMPLES = r"""
- name: Which of root and admin have secrets older than 90 days
  fleet2fa.nas.escrow_select:
    users: [root, admin]
    query: "age_days > `90`"
    escrow:
      dir: "{{ fleet2fa_escrow_dir }}"
  register: old
"""

RETURN = r"""
selected:
  description: The users chosen.
  returned: always
  type: list
  elements: str
  sample: [root]
entries:
  description: The metadata document of each escrowed user, as the expression saw it (no secret).
  returned: always
  type: dict
  sample: {root: {host: nas1, user: root, age_days: 97.2, fingerprint: "sha256:01a23f6887131c92"}}
"""
