#!/usr/bin/python
# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sshd_otp
short_description: Put a Linux host's sshd behind password + one-time code (pam_oath)
version_added: 0.1.0
description:
  - Writes the users' TOTP secrets into the pam_oath users file, adds one C(pam_oath) line to the sshd PAM stack
    right after the password step, and an sshd drop-in that sorts first in C(sshd_config.d), the way TrueNAS does it.
  - Users in O(users) then log in with their password and the current code (keyboard-interactive). The account Ansible
    uses (O(automation_user)) stays able to log in with its key alone, so Ansible never meets an OTP prompt.
  - The secret of a user listed without one is read from the escrow (O(escrow)) on the controller, for
    C(inventory_hostname), as M(fleet2fa.nas.totp_secret) escrowed it; no secret has to pass through a template.
  - Before anything is written, the whole resulting sshd configuration is checked with C(sshd -t), and C(sshd -T -C user=...)
    must report the expected C(AuthenticationMethods) and related settings for every user in scope. The PAM module must exist.
  - After a change, before the backup is dropped, the action plugin checks from the controller that the account Ansible
    uses (O(automation_user)) still logs in by key on a fresh connection (no ControlPersist master) and runs a command,
    and, with O(verify_password), logs in for real as one of the users with password and the current code, checks that
    a wrong code is refused and that the session runs a command. When a check fails, every file the module changed is
    restored, sshd is reloaded again, and the task fails naming the host and each check that failed.
  - The proofs talk only to the host Ansible reached (its host keys, read over Ansible's connection, are checked before
    any password is sent) and go the way Ansible's connection goes (C(ansible_port), ProxyJump and ProxyCommand in
    C(ansible_ssh_common_args) or C(ansible_ssh_extra_args) and the ssh_config files, as C(ssh -G) reads them).
  - pam_oath rewrites the users file after every login (replay state). Entries are compared on type, user and secret only,
    so those rewrites are never a change and are never reset.
author: fleet2fa.nas developers (@fleet2fa)
requirements:
  - On the host, OpenSSH 8.4 or later with C(UsePAM), pam_oath (C(libpam-oath) on Debian/Ubuntu), systemd.
  - On the controller, C(paramiko) and C(pyotp) for the login proof, and what the escrow backend needs.
notes:
  - O(sshd_options) refuses the keywords that sshd would not honour from the drop-in, or whose values the collection
    depends on; the list and the reasons are under O(sshd_options).
  - A users file whose mode is not C(0600) (or whose owner is not root) is set back to C(0600) root on every run, and
    the run reports a change (in check mode, that it would).
  - While the PAM line is in place, users without an entry in the users file cannot log in with a password (pam_oath
    does not know them), exactly as on TrueNAS. Key logins are not affected.
  - Entries the module did not add (for example written by hand) are left alone; users it added in an earlier run and
    that are no longer listed are removed.
  - The previous content of every changed file is kept on the host in a 0700 folder under O(backup_dir) until the proof
    is over. Nothing of it enters the task result.
  - The login proof connects from the controller with paramiko to the address and port Ansible's connection uses for
    the host (C(ansible_host), C(ansible_port) and their C(ansible_ssh_*) forms), through its jump hosts or proxy
    command. Options it cannot follow (C(BindAddress), C(BindInterface), C(ProxyUseFdpass)) fail the proof by name.
seealso:
  - ref: ansible_collections.fleet2fa.nas.docsite.linux-sshd
    description: How it works, lockout safety, rollback and the distributions (docs/linux-sshd.md).
  - module: fleet2fa.nas.totp_secret
  - module: fleet2fa.nas.preflight
  - module: fleet2fa.nas.otp_state_info
extends_documentation_fragment:
  - fleet2fa.nas.escrow
  - fleet2fa.nas.attributes
  - fleet2fa.nas.attributes.ACTION
  - fleet2fa.nas.attributes.ACTIONGROUP_ESCROW
attributes:
  check_mode:
    support: full
    details: Every check that runs before an apply also runs in check mode; the login proof does not.
  diff_mode:
    support: full
    details: The users file is shown as one metadata line per user (name, type, secret fingerprint), never a secret.
  idempotent:
    support: full
  action:
    details: The escrow is read and the login proved on the controller; the files are changed on the host.
options:
  users:
    description:
      - The users who must give a password and the current code.
      - Required with O(state=present). With O(state=absent) only C(name) is used, and the users this module added
        earlier are removed as well.
    type: list
    elements: dict
    suboptions:
      name:
        description: A user that exists on the host. No whitespace, colons, commas, quotes or pattern characters.
        type: str
        required: true
      secret:
        description:
          - The TOTP secret in base32 (at least 128 bits). Spaces and dashes are ignored.
          - When omitted with O(state=present), the escrowed secret of the user on C(inventory_hostname) (O(escrow));
            its digits and period must be O(digits) and O(period).
          - Never shown in results or diffs; a fingerprint stands for it.
        type: str
  digits:
    description: Length of the codes.
    type: int
    default: 6
    choices: [6, 7, 8]
  period:
    description: Seconds each code is valid for.
    type: int
    default: 30
    choices: [30, 60]
  window:
    description: How many time steps around the current one pam_oath accepts (0 to 10).
    type: int
    default: 3
  rate_limit_deny:
    description:
      - Consecutive failed password + code logins after which an account's password + code login is locked
        for O(rate_limit_unlock_time) (pam_faillock around the code step, its own tally folder
        C(/run/fleet2fa-faillock)). A good login resets the count; key logins never count.
      - V(0) writes no rate limit (and removes ours). At most V(100), the NIST SP 800-63B bar.
    type: int
    default: 10
  rate_limit_unlock_time:
    description: Seconds an account stays locked after O(rate_limit_deny) failures in a row.
    type: int
    default: 600
  state:
    description: Whether password + code is in force (V(present)) or everything the module added is taken out (V(absent)).
    type: str
    default: present
    choices: [present, absent]
  verify_password:
    description:
      - The password of O(verify_user), for the login proof from the controller after the apply.
      - When omitted, no proof is made and the result says RV(proven=false).
    type: str
  verify:
    description:
      - When the login proof runs (it needs O(verify_password)). V(on_change) proves only after the module changed
        something, which keeps re-runs as fast as a ping; V(always) proves on every run.
    type: str
    default: on_change
    choices: [on_change, always]
  verify_user:
    description: The user the login proof logs in as. Defaults to the first of O(users).
    type: str
  verify_timeout:
    description: Seconds the login proof waits for sshd to answer.
    type: int
    default: 15
  automation_user:
    description:
      - The account Ansible connects as. It gets a key-only C(Match) block; when it is also in O(users) (root in the lab
        and on TrueNAS), its key alone OR password + code let it in (C(AuthenticationMethods publickey keyboard-interactive)).
      - Defaults to the remote user of the connection.
    type: str
  auth_mode:
    description:
      - V(password_otp) asks the users for password and code (C(keyboard-interactive)).
      - V(key_and_otp) asks for a key and then password and code (C(publickey,keyboard-interactive)). It never applies
        to O(automation_user).
    type: str
    default: password_otp
    choices: [password_otp, key_and_otp]
  usersfile:
    description: The pam_oath users file. Its folder must be writable (pam_oath writes its replay state there).
    type: path
    default: /etc/users.oath
  pam_file:
    description: The sshd PAM service file.
    type: path
    default: /etc/pam.d/sshd
  pam_module:
    description: The PAM module name or path of pam_oath. It must exist on the host.
    type: str
    default: pam_oath.so
  sshd_config:
    description: The main sshd configuration file. An C(Include) of the drop-in folder is added at its top if it has none.
    type: path
    default: /etc/ssh/sshd_config
  dropin:
    description: The drop-in written; its name must sort before the other files of its folder (sshd keeps the first value).
    type: path
    default: /etc/ssh/sshd_config.d/00-fleet2fa-otp.conf
  sshd_options:
    description:
      - Further global sshd keywords and values written into the drop-in, for example C(MaxAuthTries). sshd must accept
        each value.
      - "Refused, because the collection depends on their values: C(UsePAM), C(KbdInteractiveAuthentication) and its
        older names C(ChallengeResponseAuthentication) and C(SkeyAuthentication), C(AuthenticationMethods), and
        C(PermitRootLogin) when C(root) is one of O(users) (the drop-in sets it to C(yes))."
      - "Refused because they would change the drop-in's structure (its Match blocks): C(Match), C(Include)."
      - "Refused because sshd ignores them (deprecated or unsupported, measured with C(sshd -t) on OpenSSH 9.2):
        C(Protocol), C(UsePrivilegeSeparation), C(RSAAuthentication), C(RhostsRSAAuthentication), C(ServerKeyBits),
        C(KeyRegenerationInterval), C(UseLogin), C(PAMAuthenticationViaKbdInt), C(VerifyReverseMapping),
        C(ReverseMappingCheck), C(KerberosTgtPassing), C(AFSTokenPassing)."
      - "Refused on the host, before any change, when sshd reads the keyword first elsewhere (before the C(Include) of
        the main file, or in a drop-in that sorts before O(dropin)): sshd keeps the first value it reads."
      - C(PasswordAuthentication) and C(PubkeyAuthentication) may be set; they apply to the users outside O(users).
        The drop-in's C(Match) blocks set them for the users in O(users) and the automation account, and win.
    type: dict
    default: {}
  sshd_apply:
    description: How sshd takes up the new configuration, through systemctl.
    type: str
    default: reload
    choices: [reload, restart]
  lock_timeout:
    description: Seconds to wait for pam_oath's C(<usersfile>.lock) to go away. It is never removed by this module.
    type: int
    default: 10
  backup_dir:
    description: Folder on the host (0700) that keeps this module's state and the previous files until the proof is over.
    type: path
    default: /var/lib/fleet2fa/sshd_otp
  rollback:
    description:
      - Internal, set by the action plugin. V(restore) puts back the files of the backup O(rollback_handle) and reloads
        sshd; V(discard) deletes that backup.
    type: str
    choices: [restore, discard]
  rollback_handle:
    description: Internal, set by the action plugin. The RV(rollback_handle) of an earlier run.
    type: str
"""

EXAMPLES = r"""
- name: Root logs in with password + code on the lab's Linux hosts; Ansible keeps its key
  hosts: linux
  tasks:
    - name: Escrow a secret for root
      fleet2fa.nas.totp_secret:
        user: root
        escrow:
          dir: "{{ playbook_dir }}/escrow"

    - name: Require the code for root, with the escrowed secret, and prove a real login
      fleet2fa.nas.sshd_otp:
        users:
          - name: root
        window: 3
        verify_password: "{{ vault_root_password }}"
        escrow:
          dir: "{{ playbook_dir }}/escrow"

- name: Take it out again
  hosts: linux
  tasks:
    - name: Remove the drop-in, the PAM line and the users file entries
      fleet2fa.nas.sshd_otp:
        state: absent
        users:
          - name: root
"""

RETURN = r"""
changed_files:
  description: The files written or removed (on check mode, those that would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/users.oath, /etc/pam.d/sshd, /etc/ssh/sshd_config.d/00-fleet2fa-otp.conf]
users_added:
  description: Users that got an entry in the users file.
  returned: always
  type: list
  elements: str
  sample: [root]
users_updated:
  description: Users whose entry was replaced (other secret, digits or period).
  returned: always
  type: list
  elements: str
  sample: []
users_removed:
  description: Users whose entry was removed.
  returned: always
  type: list
  elements: str
  sample: []
fingerprints:
  description: For each user in O(users), a one-way fingerprint of the secret in force (never the secret).
  returned: when O(state=present)
  type: dict
  sample: {root: "sha256:5c3b8f0e1d2a4b6c"}
openssh_version:
  description: The OpenSSH version of the host.
  returned: always
  type: str
  sample: "9.2"
sshd_reloaded:
  description: Whether sshd was reloaded (or restarted).
  returned: always
  type: bool
host_state:
  description:
    - What the task left on the host, for a rescue to act on without reading messages.
    - C(unchanged) nothing was written (also on check mode, and on a failure before any write);
      C(applied) the change is in force (and proven, when a proof was asked for); C(restored) a failed apply or
      proof was rolled back, every file as before; C(unknown) the rollback itself failed.
  returned: always, except with O(rollback)
  type: str
  choices: [unchanged, applied, restored, unknown]
  sample: applied
notes:
  description:
    - One line for each file whose mode or owner was (on check mode, would be) put right, such as a users file
      an admin made world-readable.
  returned: always
  type: list
  elements: str
  sample: ["/etc/users.oath had mode 0644; it is set to 0600, owner root"]
proven:
  description:
    - Whether a real login with password + code succeeded (its session running a command), a wrong code was refused,
      and Ansible's key login still worked, after the apply.
  returned: always
  type: bool
proof:
  description:
    - What the login proof did (user, address, seconds, whether it waited for a fresh time step).
    - Only C(skipped) with the reason when O(verify_password) was not given.
  returned: when a proof was made, or skipped for want of O(verify_password)
  type: dict
  sample: {user: root, host: 10.213.0.11, port: 22, seconds: 2.7, waited_for_next_step: false, wrong_code_refused: true,
           session_ran_command: true, host_key_pinned: true, via: "through admin@bastion (ProxyJump)"}
key_login:
  description:
    - What the check of Ansible's key login did (user, fresh connection, that the session ran a command, seconds),
      or C(skipped) with the reason (a connection that is not C(ssh), or one that logs in with a password).
  returned: when files changed, or a proof was made
  type: dict
  sample: {user: root, fresh_connection: true, session_ran_command: true, seconds: 0.4}
rolled_back:
  description:
    - True when the proof failed, or applying failed (for example sshd would not reload), and every changed
      file was put back (the task then fails).
  returned: when a failed proof or a failed apply was rolled back
  type: bool
rollback_handle:
  description: Opaque handle of the backup on the host. The action plugin uses and removes it; empty when nothing changed.
  returned: when files changed and the action plugin did not consume it
  type: str
restored_files:
  description: Files put back by a rollback.
  returned: when O(rollback=restore)
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_module import (
    ARGUMENT_RULES,
    ARGUMENT_SPEC,
    run_module,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **ARGUMENT_RULES)
    run_module(module)


if __name__ == "__main__":
    main()
