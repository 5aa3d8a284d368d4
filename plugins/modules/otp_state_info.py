#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: otp_state_info
short_description: Read the two-factor state of a Linux NAS host or a TrueNAS box
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - Reads, and never changes, what two-factor authentication looks like on the host, with metadata
    only. No secret, code or provisioning URI is ever returned.
  - On Linux, the users in the pam_oath users file (name, token type, fingerprint of the secret, time of
    the last accepted code), whether the sshd PAM stack has the pam_oath line, whether the drop-in of
    M(fleet2fa.nas.sshd_otp) is in place and read by sshd, and, per user, what C(sshd -T -C user=...)
    says sshd will ask for once its Match blocks are evaluated.
  - On TrueNAS, the global 2FA settings (enabled, window, SSH), each user's C(twofactor_auth_configured)
    and which users may log in over SSH with a password, through the middleware (C(midclt) on the box
    by default).
  - The fleet report (role C(fleet2fa.nas.report)) runs this module on every host.
options:
  platform:
    description:
      - Which kind of host this is. V(auto) takes V(truenas) when C(midclt) is on the host or
        O(transport=websocket), else V(linux).
    type: str
    choices: [auto, linux, truenas]
    default: auto
  usersfile:
    description:
      - The pam_oath users file (Linux), when the PAM line does not name one with C(usersfile=).
    type: path
    default: /etc/users.oath
  pam_file:
    description: The PAM service file of sshd (Linux).
    type: path
    default: /etc/pam.d/sshd
  sshd_config:
    description: The main sshd configuration file (Linux).
    type: path
    default: /etc/ssh/sshd_config
  dropin:
    description: The drop-in that M(fleet2fa.nas.sshd_otp) writes (Linux).
    type: path
    default: /etc/ssh/sshd_config.d/00-fleet2fa-otp.conf
  backup_dir:
    description: Where M(fleet2fa.nas.sshd_otp) keeps its state (Linux); only read.
    type: path
    default: /var/lib/fleet2fa/sshd_otp
extends_documentation_fragment:
  - fleet2fa.nas.attributes
  - fleet2fa.nas.truenas
attributes:
  check_mode:
    support: full
    details: The module only reads; check mode gives the same result.
  diff_mode:
    support: none
  idempotent:
    support: full
seealso:
  - module: fleet2fa.nas.sshd_otp
  - module: fleet2fa.nas.truenas_2fa
  - module: fleet2fa.nas.truenas_user_2fa
"""

EXAMPLES = r"""
- name: Read the 2FA state of every host
  fleet2fa.nas.otp_state_info:
    platform: "{{ 'truenas' if 'truenas' in group_names else 'linux' }}"
  register: state

- name: Show who holds a pam_oath secret
  ansible.builtin.debug:
    msg: "{{ state.users | map(attribute='user') | list }}"
"""

RETURN = r"""
platform:
  description: V(linux) or V(truenas).
  returned: always
  type: str
  sample: linux
two_factor:
  description:
    - Linux, the PAM stack has the pam_oath line and the users file holds a user.
    - TrueNAS, global two-factor authentication is enabled.
  returned: always
  type: bool
ssh_otp:
  description:
    - Linux, every user of the users file must give a code after the password over SSH.
    - TrueNAS, 2FA is enabled and also asked over SSH.
  returned: always
  type: bool
users:
  description: One entry a user; which keys are present depends on O(platform).
  returned: always
  type: list
  elements: dict
  contains:
    user:
      description: User name.
      type: str
    type:
      description: Token type of the users file line (Linux), such as V(HOTP/T30/6).
      type: str
    fingerprint:
      description: One-way fingerprint of the secret (Linux), comparable with the escrow's.
      type: str
      sample: sha256:01a23f6887131c92
    last_used:
      description: UTC time of the last accepted code according to pam_oath (Linux), or V(null).
      type: str
    managed:
      description: Whether M(fleet2fa.nas.sshd_otp) put the user there (Linux).
      type: bool
    authentication_methods:
      description: C(AuthenticationMethods) sshd applies to the user (Linux).
      type: str
    password_authentication:
      description: Whether sshd accepts the password alone for the user (Linux).
      type: bool
    twofactor_configured:
      description: Whether the user has a 2FA secret on the box (TrueNAS).
      type: bool
    ssh_password_login:
      description: Whether the user may log in over SSH with a password (TrueNAS).
      type: bool
    ssh_otp:
      description: Whether a password login over SSH also needs a code for this user.
      type: bool
usersfile:
  description: The users file that the PAM line reads (Linux).
  returned: when platform is linux
  type: str
pam:
  description: The sshd PAM stack (Linux).
  returned: when platform is linux
  type: dict
  contains:
    file:
      description: The PAM service file.
      type: str
    present:
      description: Whether the file exists.
      type: bool
    oath_lines:
      description: How many pam_oath lines it has (1 when sshd_otp set it up).
      type: int
sshd:
  description: Where sshd and its unit are, and whether the drop-in is present, written by this collection, and read by sshd (Linux).
  returned: when platform is linux
  type: dict
  contains:
    binary:
      description: The sshd binary, found where M(fleet2fa.nas.sshd_otp) looks for it; V(null) when there is none.
      type: str
      sample: /usr/sbin/sshd
    service:
      description: The systemd unit of sshd (V(ssh.service) on Debian/Ubuntu, V(sshd.service) on EL and SUSE), or V(null).
      type: str
      sample: ssh.service
    dropin:
      description: The drop-in's path.
      type: str
    dropin_present:
      description: Whether the drop-in exists.
      type: bool
    dropin_managed:
      description: Whether it was written by M(fleet2fa.nas.sshd_otp).
      type: bool
    dropin_included:
      description: Whether the main configuration includes it.
      type: bool
twofactor:
  description: Global settings (TrueNAS), never the secret.
  returned: when platform is truenas
  type: dict
  sample: {enabled: true, window: 1, ssh: true}
ssh:
  description: SSH password settings (TrueNAS).
  returned: when platform is truenas
  type: dict
posture:
  description:
    - What the report's findings are made from (P(fleet2fa.nas.fleet_report#module)), metadata only.
    - Linux, the sshd PAM stack's auth lines (includes expanded), the pam_oath window, the users file's mode and
      owner, the automation account, and per user of the users file what C(sshd -T -C user=...) says about
      authentication, what each Match block that sets an authentication keyword changes, whether the password is
      empty (yes or no, never the hash) and the authorized keys (type and SHA256 fingerprint).
    - TrueNAS, the API keys (id, name and owner, never the key), the named admins, whether plain HTTP is
      redirected to HTTPS (V(null) where the box does not say), and C(limits), what the box itself does about
      failed codes; C(otp_tries_per_login) (3 on 25.04 and 25.10, V(null) where the middleware keeps no count),
      C(stig) (STIG mode on; V(false) where the version has none, V(null) where unread) and C(lockout)
      (C(by), C(deny), C(unlock_time); V(null) unless STIG mode locks accounts; C(deny) V(null) where the limits
      live outside the middleware, as on 26).
    - Both, C(host_time), the host's clock (seconds since the epoch).
  returned: always
  type: dict
stig_readiness:
  description:
    - TrueNAS 25.04 and later, whether the 2FA preconditions of STIG mode hold, as the box checks them before
      C(system.security.update) turns it on; V(null) on earlier versions. The collection never turns STIG mode on.
    - C(ready) (bool) and C(missing), a list of what fails; 2FA on globally and for SSH, a local user with a secret
      who is a full admin, no built-in full admin (root, truenas_admin) with password login.
    - The other preconditions (FIPS, no VMs or apps, no TrueCommand) are not checked here.
  returned: when platform is truenas
  type: dict
  sample: {ready: false, missing: ["built-in admin accounts keep password login: root"]}
truenas_version:
  description: The box's C(system.version).
  returned: when platform is truenas
  type: str
profile:
  description: The release line whose behaviour applies.
  returned: when platform is truenas
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet2fa.nas.plugins.module_utils._platform import STATE_INFO_SPEC, run_state_info
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import CONNECTION_REQUIRED_IF


def main():
    module = AnsibleModule(argument_spec=STATE_INFO_SPEC, required_if=CONNECTION_REQUIRED_IF, supports_check_mode=True)
    run_state_info(module)


if __name__ == "__main__":
    main()
