# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host half of the preflight of a Linux host: sshd, its PAM stack, pam_oath.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

It asks what sshd_otp will ask, with the same code: the password step of pam_stack.py and the
folders and paths of layout.py, so that a host preflight passes is a host sshd_otp can handle.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.files import read_text
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.pam_stack import SshdPamStack


def pam_problems(pam_file, text):
    """Why sshd_otp could not put its line into this PAM stack (empty when it could)."""
    if text is None:
        return ["%s does not exist: this host's sshd PAM stack is not where expected" % pam_file]
    if SshdPamStack(text).password_step() is None:
        return ["%s has no password step for pam_oath to follow (one of: %s)" % (pam_file, layout.password_step_shapes())]
    return []


def linux_preflight(params, run):
    """({sshd_ok, pam_oath}, problems) for this host; ``run(argv)`` returns (rc, out, err)."""
    problems = []
    result = {}
    sshd = params.get("sshd_path") or layout.find_sshd()
    if not sshd:
        problems.append("no sshd binary found")
        result["sshd_ok"] = False
    else:
        rc, _out, err = run([sshd, "-t"])
        result["sshd_ok"] = rc == 0
        if rc != 0:
            # sshd names the bad line first and ends with "terminating, N bad configuration options": keep both.
            lines = [line.strip() for line in err.strip().splitlines() if line.strip()] or ["?"]
            problems.append("sshd -t rejects the current configuration: %s" % "; ".join(lines[-3:]))
    pam_file = params["pam_file"]
    try:
        problems.extend(pam_problems(pam_file, read_text(pam_file)))
    except (OSError, UnicodeError) as exc:
        problems.append("cannot read %s: %s" % (pam_file, getattr(exc, "strerror", None) or type(exc).__name__))
    result["pam_oath"] = layout.find_pam_module(params["pam_module"])
    if not result["pam_oath"]:
        problems.append("the PAM module %s is not installed (%s)" % (params["pam_module"], layout.install_hint()))
    return result, problems
