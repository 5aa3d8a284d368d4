#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: login_proof
short_description: Prove real logins with password + one-time code, and record when they worked
version_added: 0.1.0
author: fleet2fa.nas developers (@fleet2fa)
description:
  - Logs in from the controller the way an admin would, with the escrowed secret of O(user) on C(inventory_hostname).
  - "O(ssh=otp): a wrong code is refused, then password + the code of a fresh time step are taken
    (keyboard-interactive). pam_oath refuses a code of a step it has already taken, so the proof never uses a step
    at or before the escrow's C(last_otp_step): it takes the current step when that is free; on TrueNAS
    (O(truenas_version) given) the next step when it lies inside O(window); and only otherwise waits for the next step."
  - "O(api=otp) with O(truenas_version) 26 or later: the box checks API codes through PAM with the same
    C(/etc/users.oath) as sshd, so the API proof takes the step before the current one (inside O(window), later
    than the used one) and the SSH proof the current one. Up to 25.10 the API check keeps no replay state, and the
    API and SSH proofs may use the same step."
  - "An admin who logs in right after a proof, in the same time step, finds the code their device shows refused:
    the proof took that step. The code of the next step is taken."
  - "O(ssh=password): the password alone gets in (break glass, after the OTP was turned off). With O(api=none) and
    O(record=false) this proof needs no escrow entry, so it also runs on a host that never got a secret."
  - "O(api=otp): the TrueNAS web UI/API login with password + code (C(auth.login) up to 24.10, C(auth.login_ex) and
    C(auth.login_ex_continue) from 25.04), a wrong code refused first. The certificate can be pinned with
    O(api_cert_sha256), which M(fleet2fa.nas.preflight) reads on the box over the SSH session."
  - On success, with O(record=true), the time is written into the escrow entry as C(last_proven_login), and the
    latest step the host's pam_oath took as C(last_otp_step).
  - "Every SSH proof checks that the session it logged in to runs a command, and talks only to the host Ansible reached:
    the host keys are read over Ansible's own connection to the host (or, without an SSH connection, taken from the
    controller's known_hosts) and the server's key must be one of them before any password is sent."
  - "The SSH proofs go the way Ansible's connection goes: C(ansible_port), ProxyJump and ProxyCommand in
    C(ansible_ssh_common_args) or C(ansible_ssh_extra_args) and the ssh_config files, as the controller's C(ssh -G)
    reads them. Options they cannot follow fail by name."
  - Runs on the controller (it reads the host keys over the task's connection). The password, the secret and the
    codes never appear in results or messages.
options:
  user:
    description: The user who logs in.
    type: str
    default: root
  password:
    description: The user's password. Required unless O(record_only=true).
    type: str
  address:
    description:
      - Address to connect to; defaults to where Ansible's connection goes (C(ansible_host)). The proof goes through the
        connection's jump hosts or proxy command, and the host keys it accepts are those of the inventory host.
    type: str
  port:
    description: SSH port; defaults to C(ansible_port), else 22.
    type: int
  ssh:
    description: Which SSH login to prove.
    type: str
    choices: [otp, password, none]
    default: otp
  api:
    description: Whether to prove a TrueNAS web UI/API login with password + code first.
    type: str
    choices: [otp, none]
    default: none
  api_url:
    description: Base URL of the TrueNAS API; defaults to C(wss://<address>).
    type: str
  api_cert_sha256:
    description: SHA-256 (hex) of the DER certificate the API must present. When set, chain and host name are not checked.
    type: str
  api_validate_certs:
    description: Check the API certificate against the CAs (or O(api_ca_path)) when it is not pinned.
    type: bool
    default: true
  api_ca_path:
    description: CA file for the API certificate when it is not pinned.
    type: path
  window:
    description: Time steps around now that the host accepts; a wrong code is chosen outside them.
    type: int
    default: 3
  timeout:
    description: Seconds to wait for the host to answer.
    type: int
    default: 15
  record:
    description: Write the time of the successful proof into the escrow entry (C(last_proven_login)).
    type: bool
    default: true
  record_only:
    description: Make no login; only record that one was proven just now by another task (the proof of M(fleet2fa.nas.sshd_otp)).
    type: bool
    default: false
  truenas_version:
    description:
      - The box's version string (as M(fleet2fa.nas.preflight) returns it) when the host is a TrueNAS box. It says
        whether API codes share pam_oath's replay state (26 and later), and lets the proofs take the next step
        inside O(window) instead of waiting for it. Unset for Linux hosts, whose proofs wait when the current step
        was taken.
    type: str
extends_documentation_fragment:
  - fleet2fa.nas.escrow
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ESCROW_ACTION
attributes:
  check_mode:
    details: Makes no login and records nothing in check mode.
  idempotent:
    details: Reports no change; recording the time in the escrow is not a change of the host.
seealso:
  - module: fleet2fa.nas.sshd_otp
  - module: fleet2fa.nas.preflight
"""

EXAMPLES = r"""
- name: Prove password + code over SSH and record it
  fleet2fa.nas.login_proof:
    user: root
    password: "{{ fleet2fa_root_password }}"
    escrow:
      dir: "{{ fleet2fa_escrow_dir }}"

- name: On a TrueNAS box, prove the API login before turning SSH 2FA on
  fleet2fa.nas.login_proof:
    user: root
    password: "{{ fleet2fa_root_password }}"
    ssh: none
    api: otp
    api_cert_sha256: "{{ preflight.api_cert_sha256 }}"
    escrow:
      dir: "{{ fleet2fa_escrow_dir }}"
"""

RETURN = r"""
proven:
  description: Whether every proof asked for succeeded.
  returned: always
  type: bool
proofs:
  description: What each proof did (kind, user, address, seconds, whether it waited for a fresh time step).
  returned: always
  type: list
  elements: dict
  sample: [{kind: ssh_otp, user: root, host: 10.213.0.11, port: 22, seconds: 0.4, wrong_code_refused: true,
            session_ran_command: true, host_key_pinned: true, via: null}]
last_proven_login:
  description: The time recorded in the escrow (UTC, ISO 8601).
  returned: when O(record=true) and the proof succeeded
  type: str
  sample: "2026-12-01T08:00:00Z"
"""
