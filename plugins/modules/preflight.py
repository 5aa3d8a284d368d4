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
  - "O(backend=linux): C(sshd -t) accepts the current configuration, the sshd PAM stack has the password step
    (C(@include common-auth), C(pam_unix.so) or the EL C(password-auth) substack), and the pam_oath module exists."
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
    description: The sshd binary (V(linux)); found in C(/usr/sbin), C(/usr/local/sbin) or the PATH when omitted.
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

import glob
import hashlib
import json
import os
import re
import shutil
import ssl
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleet2fa.nas.plugins.module_utils.truenas_version import UnsupportedVersionError, capabilities

PAM_DIRS = ("/lib/security", "/lib64/security", "/usr/lib/security", "/usr/lib64/security",
            "/lib/*-linux-gnu/security", "/usr/lib/*-linux-gnu/security", "/usr/local/lib/security")
# The password step that pam_oath must follow in the sshd stack.
_PASSWORD_STEP = re.compile(r"^\s*(@include\s+common-auth|auth\s+\S+\s+(pam_unix\.so|password-auth|system-auth))", re.M)


def find_pam_module(name):
    if os.path.isabs(name):
        return name if os.path.exists(name) else None
    for pattern in PAM_DIRS:
        for found in glob.glob(os.path.join(pattern, name)):
            return found
    return None


def check_linux(module, problems, result):
    sshd = module.params["sshd_path"] or next(
        (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.access(p, os.X_OK)), None) or shutil.which("sshd")
    if not sshd:
        problems.append("no sshd binary found")
        result["sshd_ok"] = False
    else:
        rc, _out, err = module.run_command([sshd, "-t"])
        result["sshd_ok"] = rc == 0
        if rc != 0:
            problems.append("sshd -t rejects the current configuration: %s" % (err.strip().splitlines() or ["?"])[-1])
    pam_file = module.params["pam_file"]
    try:
        with open(pam_file, encoding="utf-8") as handle:
            text = handle.read()
        if not _PASSWORD_STEP.search(text):
            problems.append("%s has no password step (@include common-auth, pam_unix.so or password-auth) for "
                            "pam_oath to follow" % pam_file)
    except OSError as exc:
        problems.append("cannot read %s: %s" % (pam_file, exc.strerror))
    result["pam_oath"] = find_pam_module(module.params["pam_module"])
    if not result["pam_oath"]:
        problems.append("the PAM module %s is not installed (Debian/Ubuntu: libpam-oath; EL: pam_oath from EPEL)"
                        % module.params["pam_module"])


def _server_certificate(address):
    try:
        return ssl.get_server_certificate(address, timeout=10)
    except TypeError:  # Python 3.9 has no timeout argument
        return ssl.get_server_certificate(address)


def check_truenas(module, problems, result):
    midclt = shutil.which("midclt") or next((p for p in ("/usr/bin/midclt", "/usr/local/bin/midclt") if os.path.exists(p)), None)
    if not midclt:
        problems.append("midclt is not on this host: is it a TrueNAS box?")
        return
    rc, out, err = module.run_command([midclt, "call", "system.version"])
    if rc != 0:
        problems.append("midclt call system.version failed (is middlewared running?): %s"
                        % (err.strip().splitlines() or ["?"])[-1])
        return
    raw = out.strip()
    if raw.startswith('"'):
        try:
            raw = json.loads(raw)
        except ValueError:
            pass
    result["truenas_version"] = raw
    try:
        result["profile"] = capabilities(raw, host="this box").as_dict().get("profile")
    except UnsupportedVersionError as exc:
        problems.append(str(exc))
    try:
        pem = _server_certificate(("127.0.0.1", module.params["api_port"]))
        result["api_cert_sha256"] = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    except (OSError, ssl.SSLError, ValueError):
        result["api_cert_sha256"] = None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            backend=dict(type="str", required=True, choices=["linux", "truenas"]),
            max_clock_skew=dict(type="int", default=30),
            allow_password_connection=dict(type="bool", default=False, no_log=False),
            pam_file=dict(type="path", default="/etc/pam.d/sshd"),
            pam_module=dict(type="str", default="pam_oath.so"),
            sshd_path=dict(type="path"),
            api_port=dict(type="int", default=443),
        ),
        supports_check_mode=True,
    )
    result = {"changed": False, "host_time": time.time()}
    problems = []
    if module.params["backend"] == "linux":
        check_linux(module, problems, result)
    else:
        check_truenas(module, problems, result)
    result["problems"] = problems
    module.exit_json(**result)


if __name__ == "__main__":
    main()
