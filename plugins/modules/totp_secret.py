#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: totp_secret
short_description: Get or create the escrowed TOTP secret of a user on a host
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - Makes sure the escrow holds a TOTP secret for O(user) on C(inventory_hostname), creating a
    160-bit secret on the controller when there is none, or a new one when O(regenerate=always).
  - The escrow is write-once; when parallel forks or controllers race, the first secret stays and the others read it.
  - Returns metadata only (fingerprint, times, backend), never the secret. Host modules of the
    collection get the secret from the escrow through their action plugins; plays can use the
    P(fleet2fa.nas.totp_escrow#lookup) lookup in a C(no_log) task (see C(docs/escrow.md)).
  - Runs on the controller only.
options:
  user:
    description: The user on the host the secret is for.
    type: str
    default: root
  digits:
    description: Digits of the codes; used when a secret is created.
    type: int
    choices: [6, 7, 8]
    default: 6
  period:
    description: Seconds a code is valid; used when a secret is created.
    type: int
    choices: [30, 60]
    default: 30
  issuer:
    description:
      - Issuer of the escrowed otpauth URI; stored with the secret when it is created.
      - QR files, packs and exports show every app the one label of the collection (issuer C(fleet2fa), account
        C(<user>@<inventory_hostname>)) on Linux and TrueNAS alike, whatever this is.
    type: str
    default: fleet2fa
  label:
    description: Account name of the escrowed otpauth URI; defaults to C(<user>@<inventory_hostname>). Apps are shown the
      collection's one label (see O(issuer)).
    type: str
  regenerate:
    description:
      - V(never) keeps an escrowed secret; V(always) replaces it (rotation). A rotation forgets the
        enrolled devices, which must be enrolled again with the new secret.
    type: str
    choices: [never, always]
    default: never
  qr_dir:
    description:
      - When set, also writes the QR files C(<qr_dir>/<inventory_hostname>/<user>.png) and C(.svg),
        as M(fleet2fa.nas.totp_qr) does.
      - With O(escrow.backend=totp_engine) this is the only moment a QR can be drawn, since the engine never
        gives the key back.
    type: path
  rotation:
    description:
      - A step of a rotation that the escrow follows, so that it holds the secret the host accepts at every
        moment (the P(fleet2fa.nas.rotate#role) role runs them; C(docs/escrow.md)).
      - V(stage) makes a new secret for O(user) and writes it into the staged copy of the host's escrow
        document (file escrow C(<dir>/.staged/<inventory_hostname>.yml), kv C(<path_prefix>/.staged/<host>)); the
        host's own entry and its QR files are left as they are. An activation reads the staged copy with the
        escrow options of RV(staging) on top of its own.
      - V(commit) swaps every staged entry of the host into its escrow document and removes the staged copy;
        nothing is staged on a re-run, which changes nothing. V(discard) removes the staged copy, leaving the
        host's document byte for byte as it was.
      - Not with O(qr_dir); the QR files of a rotation are written (M(fleet2fa.nas.totp_qr)) once it is committed.
        The V(totp_engine) backend cannot stage.
    type: str
    choices: [stage, commit, discard]
extends_documentation_fragment:
  - fleet2fa.nas.escrow
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ESCROW_ACTION
attributes:
  check_mode:
    details: Reports that a secret would be created or replaced; writes nothing.
  diff_mode:
    support: full
    details: The diff shows fingerprints only.
  idempotent:
    support: partial
    details: Not idempotent with O(regenerate=always).
seealso:
  - ref: ansible_collections.fleet2fa.nas.docsite.escrow
    description: What is stored, the backends, the escrow option and break glass (docs/escrow.md).
  - module: fleet2fa.nas.totp_qr
  - module: fleet2fa.nas.totp_enrollment
  - plugin: fleet2fa.nas.totp_code
    plugin_type: lookup
  - plugin: fleet2fa.nas.totp_escrow
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Escrow a secret for root on every NAS (file backend, vault-encrypted)
  fleet2fa.nas.totp_secret:
    user: root
    escrow:
      dir: "{{ playbook_dir }}/escrow"

- name: Rotate the secret of admin, in OpenBao KV v2 with AppRole
  fleet2fa.nas.totp_secret:
    user: admin
    regenerate: always
    escrow:
      backend: kv
      url: https://bao.example.com:8200
      auth_method: approle
      role_id: "{{ fleet2fa_role_id }}"
      secret_id: "{{ fleet2fa_secret_id }}"
      path_prefix: nas/totp

- name: Rotate root in steps, the escrow following the host (roles/rotate does this, with a proven login between)
  fleet2fa.nas.totp_secret:
    user: root
    rotation: stage
    escrow:
      dir: /srv/fleet2fa/escrow

- name: Import a key into the TOTP engine and draw its QR now (the only chance)
  fleet2fa.nas.totp_secret:
    user: root
    escrow:
      backend: totp_engine
      url: https://bao.example.com:8200
      token: "{{ fleet2fa_bao_token }}"
    qr_dir: "{{ playbook_dir }}/qr"
"""

RETURN = r"""
backend:
  description: The escrow backend.
  returned: always
  type: str
  sample: file
location:
  description: Where the host's escrow document is (a file path or a KV path).
  returned: always
  type: str
  sample: /srv/fleet2fa/escrow/nas1.yml
user:
  description: The user.
  returned: always
  type: str
  sample: root
fingerprint:
  description: A one-way fingerprint of the secret; V(null) in check mode when a secret would be created.
  returned: always
  type: str
  sample: sha256:01a23f6887131c92
created:
  description: When the secret was first escrowed (UTC, ISO 8601).
  returned: always
  type: str
  sample: "2026-11-28T17:09:08Z"
rotated:
  description: When the secret was last replaced, or V(null).
  returned: always
  type: str
  sample: "2026-12-01T08:00:00Z"
digits:
  description: Digits of the codes.
  returned: always
  type: int
  sample: 6
period:
  description: Seconds a code is valid.
  returned: always
  type: int
  sample: 30
issuer:
  description: Issuer in the otpauth URI.
  returned: always
  type: str
  sample: fleet2fa
account:
  description: Account name in the otpauth URI.
  returned: always
  type: str
  sample: root@nas1
qr_files:
  description: QR files written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/srv/fleet2fa/qr/nas1/root.png]
rotation:
  description: The rotation step run (O(rotation)).
  returned: when O(rotation) is set
  type: str
  sample: stage
staging:
  description: The escrow options that, on top of the task's, open the staged copies of a rotation (no secret).
  returned: when O(rotation) is set
  type: dict
  sample: {dir: /srv/fleet2fa/escrow/.staged}
users:
  description: The users whose staged entries were swapped in (V(commit)) or dropped (V(discard)).
  returned: when O(rotation) is V(commit) or V(discard)
  type: list
  elements: str
  sample: [root]
"""
