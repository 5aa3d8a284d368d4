# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The glue between the sshd_otp module's AnsibleModule and SshdOtpHost: results and diffs."""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils.file_backup import BackupError
from ansible_collections.fleet2fa.nas.plugins.module_utils.oath_users import OathUsersError
from ansible_collections.fleet2fa.nas.plugins.module_utils.sshd_otp_host import HostError, RolledBack, SshdOtpHost
from ansible_collections.fleet2fa.nas.plugins.module_utils.sshd_otp_request import RequestError, SshdOtpRequest

_CLEAN_ERRORS = (HostError, RequestError, totp.TotpError, OathUsersError, BackupError)


def _diff(change):
    return {
        "before_header": change.path,
        "after_header": change.path,
        "before": change.shown_before or "",
        "after": change.shown_after or "",
    }


def run_module(module):
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
        changes = host.plan()
        changed = [c for c in changes if c.changed]
        # The checks run whether or not something changed, so that a re-run also tells a drifted host.
        host.preflight(changes)
        result = dict(
            changed=bool(changed),
            changed_files=[c.path for c in changed if c.kind != "state"],
            users_added=host.users_added,
            users_updated=host.users_updated,
            users_removed=host.users_removed,
            openssh_version=version,
            sshd_reloaded=False,
            proven=False,
            last_used=host.last_used() if request.state == "present" else {},
        )
        if request.state == "present":
            result["fingerprints"] = dict((user, request.keys[user].fingerprint) for user in request.users)
        if request.automation_note:
            module.warn(request.automation_note)
        if module._diff:
            result["diff"] = [_diff(c) for c in changed if c.kind != "state"]
        if changed and not module.check_mode:
            result["rollback_handle"] = host.apply(changes)
            result["sshd_reloaded"] = any(c.kind == "sshd" for c in changed)
    except RolledBack as exc:
        # The run report and the rollout's rescue tell a restored host from an untouched one by this.
        module.fail_json(msg=str(exc), changed=False, rolled_back=True)
    except _CLEAN_ERRORS as exc:
        module.fail_json(msg=str(exc), changed=False)
    except OSError as exc:
        # The path and the reason, never file content.
        module.fail_json(msg="%s: %s" % (exc.filename or "a file", exc.strerror or type(exc).__name__), changed=False)
    module.exit_json(**result)
