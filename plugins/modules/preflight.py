#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: preflight
short_description: Refuse a host that 2FA could lock out or that would not take the OTP
version_added: 0.1.0
description:
  - The first step of a rollout, one module call a host. It changes nothing.
  - "On the controller (action plugin): the connection is C(ssh) and key-based (no C(ansible_password) or
    C(ansible_ssh_pass)), so that turning on password + code can never lock Ansible out."
  - "Clock: the host's clock is compared with the controller's, taken before and after the call; a host that
    is further off than O(max_clock_skew) seconds is refused, since its codes would not match the escrow's."
  - "O(backend=linux): C(sshd -t) accepts the current configuration, the sshd PAM stack has a password step that
    M(fleet2fa.nas.sshd_otp) can put its line after (by the same rules: C(@include common-auth) on Debian/Ubuntu,
    C(auth substack password-auth) or C(system-auth) on EL, C(auth include common-auth) on SUSE), and the pam_oath
    module exists where libpam loads it from."
  - "O(backend=truenas): C(midclt) answers C(system.version), the version is supported, and the certificate the
    middleware serves on the box (read locally, over the key-authenticated SSH session) is returned so that a
    later API login proof from the controller can pin it."
  - Every problem found is reported at once, in one message that names the host.
author: fleet2fa.nas developers (@fleet2fa)
options:
  backend:
    description: What the host is. V(linux) uses pam_oath and sshd directly; V(truenas) goes through the middleware.
    type: str
    required: true
    choices: [linux, truenas]
  max_clock_skew:
    description: Seconds the host's clock may differ from the controller's.
    type: int
    default: 30
  allow_password_connection:
    description:
      - Accept an Ansible connection that logs in with a password. Such a connection stops working as soon as the
        OTP is asked of that account, so leave this off unless the automation account is not one of the OTP users.
    type: bool
    default: false
  pam_file:
    description: The sshd PAM service file (V(linux)).
    type: path
    default: /etc/pam.d/sshd
  pam_module:
    description: The pam_oath module name or path (V(linux)); a bare name is looked for in the usual PAM folders.
    type: str
    default: pam_oath.so
  sshd_path:
    description: The sshd binary (V(linux)); found where M(fleet2fa.nas.sshd_otp) looks (C(/usr/sbin), C(/usr/local/sbin), C(/sbin), the PATH) when omitted.
    type: path
  api_port:
    description: Port of the TrueNAS web UI/API on the box (V(truenas)), whose certificate is read.
    type: int
    default: 443
extends_documentation_fragment:
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ACTION
attributes:
  check_mode:
    support: full
    details: It only reads; it runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
  action:
    support: full
    details: The connection and clock checks run on the controller.
seealso:
  - module: fleet2fa.nas.sshd_otp
  - module: fleet2fa.nas.truenas_2fa
"""

EXAMPLES = r"""
- name: Refuse hosts that 2FA could lock out
  fleet2fa.nas.preflight:
    backend: "{{ 'truenas' if 'truenas' in group_names else 'linux' }}"
    max_clock_skew: 30
"""

RETURN = r"""
clock_skew:
  description: Seconds the host's clock is ahead of the controller's (negative when behind).
  returned: always
  type: float
  sample: 0.4
problems:
  description: What was wrong (empty on success).
  returned: always
  type: list
  elements: str
  sample: []
sshd_ok:
  description: Whether C(sshd -t) accepted the configuration (V(linux)).
  returned: when O(backend=linux)
  type: bool
pam_oath:
  description: Path of the pam_oath module found (V(linux)).
  returned: when O(backend=linux)
  type: str
  sample: /lib/x86_64-linux-gnu/security/pam_oath.so
truenas_version:
  description: The box's C(system.version) (V(truenas)).
  returned: when O(backend=truenas)
  type: str
  sample: TrueNAS-SCALE-24.10.2
api_cert_sha256:
  description: SHA-256 of the DER certificate the middleware serves on the box (V(truenas)), for pinning.
  returned: when O(backend=truenas) and the port answered TLS
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet2fa.nas.plugins.module_utils._platform import PREFLIGHT_SPEC, run_preflight


def main():
    module = AnsibleModule(argument_spec=PREFLIGHT_SPEC, supports_check_mode=True)
    run_preflight(module)


if __name__ == "__main__":
    main()
