#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: enrollment_pack
short_description: Write an admin's enrollment pack of transfer QR codes and check spot-check codes
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - For each user in O(users), puts the escrowed secrets of that user on every host of O(hosts) into
    Google Authenticator transfer QR codes (C(otpauth-migration://offline?data=...)), up to
    O(batch_size) accounts a code, so that one scan session enrolls a whole fleet.
  - Writes C(<qr_dir>/packs/<user>/pack-<i>-of-<n>.png) and C(.svg), and C(pack.json), which lists the
    hosts and fingerprints in each code (no secret). Files are 0600 in 0700 folders, written only when
    their bytes change; codes left from an older, larger pack are removed.
  - Beside them C(index.html), a printable page that captions each code (N of M, its hosts, the key
    fingerprints), says how to import it in Google Authenticator and in Aegis and how to spot-check it;
    and, for apps that cannot read transfer codes, C(otpauth.txt) (one C(otpauth://) URI a line) and
    C(aegis.json) (an Aegis plain vault export). Both hold the secrets.
  - Every account shows in the app as issuer C(fleet2fa), account C(<user>@<inventory host>), on Linux
    and TrueNAS alike; the label a box gave its own URI stays in the escrow.
  - The transfer format knows only 6 and 8 digits and carries no period (apps assume 30 seconds). Keys
    with 7 digits or a 60 second period are skipped with a warning that says why (or fail the task with
    O(unsupported=fail)); enroll those with the single QR code of M(fleet2fa.nas.totp_qr).
  - "The spot check: with O(codes), each code is checked against the escrow and the task fails, naming
    the hosts, when one is wrong. Without O(codes), O(spot_checks) hosts of each pack are picked at
    random and returned in RV(pending), to prompt the admin for their codes."
  - The codes, C(otpauth.txt) and C(aegis.json) hold secrets. Hand them over, have them scanned, then delete them.
  - Runs on the controller only; give it the play's hosts and run it with C(run_once).
options:
  users:
    description: The admins (user names on the hosts) to make a pack for.
    type: list
    elements: str
    default: [root]
  hosts:
    description: The inventory hostnames whose escrowed secrets go into the packs; hosts without one are listed in RV(packs) as missing.
    type: list
    elements: str
    required: true
  qr_dir:
    description: The QR folder; packs go under C(packs/<user>/) in it.
    type: path
    required: true
  batch_size:
    description: Accounts a transfer code, 1 to 10 (Google Authenticator exports at most 10).
    type: int
    default: 10
  unsupported:
    description: What to do with a key the transfer format cannot carry (7 digits, 60 s period, a TOTP engine key).
    type: str
    choices: [skip, fail]
    default: skip
  spot_checks:
    description: How many hosts of each pack need a code from the admin's device.
    type: int
    default: 3
  codes:
    description:
      - The codes the admin's device shows, a list of mappings with C(user), C(host) and C(code).
      - At least O(spot_checks) hosts of the pack (all of it, when smaller) must be given for a user.
    type: list
    elements: dict
  codes_from_escrow:
    description:
      - Take the spot-check codes from the escrow instead of a device. For labs and CI only; warns on every use.
    type: bool
    default: false
  window:
    description: Time steps before and after the current one that a code may come from (0 to 10).
    type: int
    default: 1
extends_documentation_fragment:
  - fleet2fa.nas.escrow
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ESCROW_ACTION
attributes:
  check_mode:
    details: Reports which files would change and writes nothing; codes are not checked.
seealso:
  - module: fleet2fa.nas.totp_qr
"""

EXAMPLES = r"""
- name: Write the enrollment pack of root over the play's hosts
  fleet2fa.nas.enrollment_pack:
    users: [root]
    hosts: "{{ ansible_play_hosts_all }}"
    escrow:
      dir: "{{ playbook_dir }}/escrow"
    qr_dir: "{{ playbook_dir }}/qr"
  run_once: true
  register: packs

- name: Check the codes the admin typed
  fleet2fa.nas.enrollment_pack:
    users: [root]
    hosts: "{{ ansible_play_hosts_all }}"
    escrow:
      dir: "{{ playbook_dir }}/escrow"
    qr_dir: "{{ playbook_dir }}/qr"
    codes:
      - {user: root, host: nas3, code: "123456"}
      - {user: root, host: nas7, code: "654321"}
      - {user: root, host: nas9, code: "112233"}
  run_once: true
"""

RETURN = r"""
packs:
  description: One entry a user, metadata only.
  returned: always
  type: dict
  contains:
    folder:
      description: The pack's folder.
      type: str
    index:
      description: The path of the pack's C(index.html).
      type: str
    batches:
      description: Each transfer code, with its files and the C(host), C(name), C(issuer) and C(fingerprint) of its accounts.
      type: list
      elements: dict
    batch_id:
      description: The id shared by the codes of this pack; it changes when an account does.
      type: int
    skipped:
      description: Hosts left out, with the reason.
      type: list
      elements: dict
    missing:
      description: Hosts with no escrowed secret for the user.
      type: list
      elements: str
    written:
      description: Files written or removed (or that would be, in check mode).
      type: list
      elements: str
    spot_check:
      description:
        - C(status) is V(passed), V(passed_from_escrow), V(pending) (codes still needed for C(hosts)),
          V(not_checked_in_check_mode) or V(none) (empty pack).
      type: dict
  sample:
    root:
      folder: /srv/fleet2fa/qr/packs/root
      batches:
        - {index: 1, png: pack-1-of-1.png, svg: pack-1-of-1.svg,
           accounts: [{host: nas1, name: root@nas1, issuer: fleet2fa, fingerprint: "sha256:01a23f6887131c92"}]}
      spot_check: {status: pending, hosts: [nas1]}
pending:
  description: The C(user) and C(host) pairs whose codes the admin still has to type.
  returned: always
  type: list
  elements: dict
"""
