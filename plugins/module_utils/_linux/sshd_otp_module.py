# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sshd_otp module's options and body: request, plan, checks, apply; results and diffs.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Its action plugin checks the task against the same ``ARGUMENT_SPEC``, reads the escrow, and proves
the login; the module itself never sees ``escrow`` or the proof's options.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils import _escrow_spec
from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import files as host_files
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import pam_stack
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.layout import DEFAULT_PAM_MODULE, DEFAULT_PATHS
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_host import RolledBack, SshdOtpHost
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_plan import ChangeKind
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_request import (
    AUTH_MODES,
    DEFAULT_WINDOW,
    SshdOtpRequest,
)

ARGUMENT_SPEC = dict(
    users=dict(type="list", elements="dict",
               options=dict(name=dict(type="str", required=True), secret=dict(type="str", no_log=True))),
    digits=dict(type="int", default=totp.DEFAULT_DIGITS, choices=list(totp.DIGITS_CHOICES)),
    period=dict(type="int", default=totp.DEFAULT_PERIOD, choices=list(totp.PERIOD_CHOICES)),
    window=dict(type="int", default=DEFAULT_WINDOW),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    verify_password=dict(type="str", no_log=True),
    verify=dict(type="str", default="on_change", choices=["on_change", "always"]),
    verify_user=dict(type="str"),
    verify_timeout=dict(type="int", default=15),
    automation_user=dict(type="str"),
    auth_mode=dict(type="str", default=AUTH_MODES[0], choices=list(AUTH_MODES)),
    usersfile=dict(type="path", default=DEFAULT_PATHS["usersfile"]),
    pam_file=dict(type="path", default=DEFAULT_PATHS["pam_file"]),
    pam_module=dict(type="str", default=DEFAULT_PAM_MODULE),
    sshd_config=dict(type="path", default=DEFAULT_PATHS["sshd_config"]),
    dropin=dict(type="path", default=DEFAULT_PATHS["dropin"]),
    sshd_options=dict(type="dict", default={}),
    sshd_apply=dict(type="str", default="reload", choices=["reload", "restart"]),
    rate_limit_deny=dict(type="int", default=pam_stack.DEFAULT_DENY),
    rate_limit_unlock_time=dict(type="int", default=pam_stack.DEFAULT_UNLOCK_TIME),
    lock_timeout=dict(type="int", default=10),
    backup_dir=dict(type="path", default=DEFAULT_PATHS["backup_dir"]),
    rollback=dict(type="str", choices=["restore", "discard"]),
    rollback_handle=dict(type="str"),
    **_escrow_spec.ARGSPEC
)
ARGUMENT_RULES = dict(required_together=[("rollback", "rollback_handle")])


def _diff(change):
    return {
        "before_header": change.path,
        "after_header": change.path,
        "before": change.shown_before or "",
        "after": change.shown_after or "",
    }


def run_module(module):
    host_files.bind(module)  # host files move into place with module.atomic_move (SELinux contexts kept)

    def run(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    params = dict(module.params)
    try:
        request = SshdOtpRequest(params)
        host = SshdOtpHost(request, run)
        version = "%d.%d" % host.version if host.version else "unknown"
        if params.get("rollback"):
            if params["rollback"] == "restore":
                restored = host.restore(params["rollback_handle"])
                module.exit_json(changed=bool(restored), restored_files=restored, sshd_reloaded=True,
                                 openssh_version=version, proven=False)
            host.discard(params["rollback_handle"])
            module.exit_json(changed=False, openssh_version=version, proven=False)
        plan = host.plan()
        # The checks run whether or not something changed, so that a re-run also tells a drifted host.
        host.preflight(plan)
        files = [c for c in plan.changed if c.kind is not ChangeKind.STATE]
        result = dict(
            changed=bool(plan.changed),
            changed_files=[c.path for c in files],
            users_added=plan.users_added,
            users_updated=plan.users_updated,
            users_removed=plan.users_removed,
            openssh_version=version,
            sshd_reloaded=False,
            proven=False,
            last_used=host.last_used() if request.state == "present" else {},
            # A file whose mode or owner is put right (users.oath at 0600, owner root), one line each.
            notes=plan.notes,
        )
        if request.state == "present":
            result["fingerprints"] = dict((user, request.keys[user].fingerprint) for user in request.users)
        if request.automation_note:
            module.warn(request.automation_note)
        if module._diff:
            result["diff"] = [_diff(c) for c in files]
        if plan.changed and not module.check_mode:
            result["rollback_handle"] = host.apply(plan)
            result["sshd_reloaded"] = plan.touches(ChangeKind.SSHD)
    except RolledBack as exc:
        # The run report and the rollout's rescue tell a restored host from an untouched one by this.
        module.fail_json(msg=str(exc), changed=False, rolled_back=True)
    except Fleet2faError as exc:
        module.fail_json(msg=str(exc), changed=False)
    except OSError as exc:
        # The path and the reason, never file content.
        module.fail_json(msg="%s: %s" % (exc.filename or "a file", exc.strerror or type(exc).__name__), changed=False)
    module.exit_json(**result)
