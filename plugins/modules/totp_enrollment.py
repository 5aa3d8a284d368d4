#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: totp_enrollment
short_description: Record the devices that hold an escrowed TOTP secret
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - Records in the escrow each device (authenticator app) that holds the secret of O(user) on
    C(inventory_hostname), with its name and time, after checking a code that the device shows now.
  - A code is accepted once. Two devices that hold the same secret show the same code in the same
    time step, so verify the second device with a later code.
  - Lists the recorded devices in every run; removes devices with O(state=absent).
  - With O(check_min_devices=true) fails when fewer than O(min_devices) devices are verified; the
    activation of 2FA calls it so that losing one phone does not lock a user out.
  - Runs on the controller only.
options:
  user:
    description: The user on the host.
    type: str
    default: root
  state:
    description: V(present) records the devices of O(devices); V(absent) removes them from the record.
    type: str
    choices: [present, absent]
    default: present
  devices:
    description: Devices to record or remove; with none given, the task only reports.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: A name for the device, unique for the user (for example C(primary), C(backup-yubikey)).
        type: str
        required: true
      code:
        description:
          - The code that the device shows now. Required for O(state=present) unless
            O(verify_from_escrow_for_labs=true). Ignored for devices already verified.
        type: str
  window:
    description: Time steps before and after now within which a code is accepted.
    type: int
    default: 1
  min_devices:
    description: Verified devices a user needs before activation.
    type: int
    default: 2
  check_min_devices:
    description: Fail when the user has fewer than O(min_devices) verified devices (after this task's changes).
    type: bool
    default: false
  verify_from_escrow_for_labs:
    description:
      - B(Labs and CI only.) Marks the devices verified with a code computed from the escrow itself,
        without any device. It proves nothing about a device; every use prints a warning and the
        record says C(verified_by=escrow-lab-switch).
    type: bool
    default: false
extends_documentation_fragment:
  - fleet2fa.nas.escrow
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ESCROW_ACTION
attributes:
  check_mode:
    details: Checks the codes and reports what would be recorded; writes nothing.
  idempotent:
    details: Devices already verified are left as they are.
seealso:
  - module: fleet2fa.nas.totp_secret
"""

EXAMPLES = r"""
- name: Record the primary phone of root with the code it shows
  fleet2fa.nas.totp_enrollment:
    user: root
    escrow:
      dir: "{{ playbook_dir }}/escrow"
    devices:
      - name: primary
        code: "{{ fleet2fa_primary_code }}"

- name: Lab only, mark two devices verified from the escrow
  fleet2fa.nas.totp_enrollment:
    user: root
    escrow:
      dir: "{{ playbook_dir }}/escrow"
    devices:
      - name: primary
      - name: backup
    verify_from_escrow_for_labs: true

- name: Refuse to go on with fewer than two verified devices
  fleet2fa.nas.totp_enrollment:
    user: root
    escrow:
      dir: "{{ playbook_dir }}/escrow"
    check_min_devices: true

- name: Forget a lost phone
  fleet2fa.nas.totp_enrollment:
    user: root
    escrow:
      dir: "{{ playbook_dir }}/escrow"
    state: absent
    devices:
      - name: primary
"""

RETURN = r"""
devices:
  description: Every device recorded for the user, after this task.
  returned: always
  type: list
  elements: dict
  sample: [{name: primary, verified: true, added: "2026-11-28T17:10:00Z", verified_at: "2026-11-28T17:10:00Z", verified_by: code}]
verified_devices:
  description: Names of the verified devices.
  returned: always
  type: list
  elements: str
  sample: [primary, backup]
verified_count:
  description: How many devices are verified.
  returned: always
  type: int
  sample: 2
min_devices:
  description: The O(min_devices) asked for.
  returned: always
  type: int
  sample: 2
meets_min_devices:
  description: Whether the user has at least O(min_devices) verified devices.
  returned: always
  type: bool
  sample: true
added:
  description: Devices verified by this task.
  returned: when O(state=present)
  type: list
  elements: str
  sample: [backup]
removed:
  description: Devices removed by this task.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [primary]
fingerprint:
  description: Fingerprint of the secret.
  returned: always
  type: str
  sample: sha256:01a23f6887131c92
user:
  description: The user.
  returned: always
  type: str
  sample: root
backend:
  description: The escrow backend.
  returned: always
  type: str
  sample: file
"""
