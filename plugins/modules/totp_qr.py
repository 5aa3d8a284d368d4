#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: totp_qr
short_description: Write the QR files of an escrowed TOTP secret
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - Writes C(<qr_dir>/<inventory_hostname>/<user>.png) and C(.svg), each a QR code of the
    C(otpauth://totp/...) URI of the escrowed secret of O(user), for an admin's authenticator app.
  - The app shows the account as issuer C(fleet2fa), account C(<user>@<inventory_hostname>), on Linux and
    TrueNAS alike (the label a TrueNAS box gave its own URI stays in the escrow).
  - Files are 0600 in 0700 folders, written atomically and only when their bytes would change, so a
    second run leaves them and their modification times alone.
  - The QR files hold the secret. Keep O(qr_dir) out of version control and shared folders, and
    delete the files once the devices are enrolled.
  - Runs on the controller only. Needs the Python libraries C(qrcode) and C(pypng) there.
options:
  user:
    description: The user whose secret to draw.
    type: str
    default: root
  qr_dir:
    description: The folder that holds one folder of QR files a host; created 0700.
    type: path
    required: true
  terminal:
    description:
      - Also draw the QR code on the controller's terminal (C(/dev/tty)), for an admin at the
        console. Never written to the task result or a log.
      - Run with C(--forks 1) or C(serial=1) to keep the drawings apart.
    type: bool
    default: false
extends_documentation_fragment:
  - fleet2fa.nas.escrow
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ESCROW_ACTION
attributes:
  check_mode:
    details: Reports which files would change; writes and draws nothing.
seealso:
  - module: fleet2fa.nas.totp_secret
"""

EXAMPLES = r"""
- name: Escrow a secret and draw its QR files
  block:
    - name: Escrow the secret of root
      fleet2fa.nas.totp_secret:
        user: root
        escrow:
          dir: "{{ playbook_dir }}/escrow"

    - name: Draw the QR files of root
      fleet2fa.nas.totp_qr:
        user: root
        escrow:
          dir: "{{ playbook_dir }}/escrow"
        qr_dir: "{{ playbook_dir }}/qr"
"""

RETURN = r"""
png:
  description: Path of the PNG file.
  returned: always
  type: str
  sample: /srv/fleet2fa/qr/nas1/root.png
svg:
  description: Path of the SVG file.
  returned: always
  type: str
  sample: /srv/fleet2fa/qr/nas1/root.svg
written:
  description: Files written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/srv/fleet2fa/qr/nas1/root.png, /srv/fleet2fa/qr/nas1/root.svg]
fingerprint:
  description: Fingerprint of the secret in the QR code.
  returned: always
  type: str
  sample: sha256:01a23f6887131c92
user:
  description: The user.
  returned: always
  type: str
  sample: root
terminal:
  description: Whether the code was drawn on the terminal; V(null) when not asked.
  returned: always
  type: bool
  sample: true
"""
