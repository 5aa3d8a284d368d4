# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run sshd_otp on the host, then prove a real password + code login from the controller.

A failed proof restores every file the module changed (from the backup it keeps on the host) and
fails naming the host and the reason. The password and the secrets stay out of the result.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import HostModuleAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_prover import LoginProver, ProofError, key_for


class ActionModule(HostModuleAction):
    MODULE = "fleet2fa.nas.sshd_otp"
    ACTION_ONLY = ("verify_password", "verify_timeout", "verify")

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        raw_args = dict(self._task.args)
        password = raw_args.get("verify_password")
        verify_always = raw_args.get("verify", "on_change") == "always"
        args = self.module_args()
        if not args.get("automation_user"):
            args["automation_user"] = self.connection_option("remote_user") or self._play_context.remote_user \
                or task_vars.get("ansible_user")
        inner = self.execute(args, task_vars)
        result.update(inner)
        handle = result.pop("rollback_handle", None)
        result.pop("last_used", None)
        if result.get("failed") or args.get("rollback"):
            return result
        state = args.get("state", "present")
        want_proof = state == "present" and password and not self._task.check_mode and (handle or verify_always)
        if not want_proof:
            if handle:
                self.discard(args, handle, task_vars)
            if state == "present" and not password:
                result["proof"] = {"skipped": "verify_password was not given"}
            return result
        host, port = self.ssh_target(task_vars)
        try:
            users = args.get("users") or []
            user = args.get("verify_user") or users[0]["name"]
            digits = int(args.get("digits", totp.DEFAULT_DIGITS))
            period = int(args.get("period", totp.DEFAULT_PERIOD))
            key = key_for(users, user, digits, period)
            if key is None:
                raise ProofError("verify_user %s is not one of users" % user)
            prover = LoginProver(host, port, user, password, key, int(args.get("window", 3)),
                                 int(raw_args.get("verify_timeout", 15)))
            result["proof"] = prover.prove(last_used=(inner.get("last_used") or {}).get(user))
            result["proven"] = True
        except Fleet2faError as exc:
            reason = str(exc)
            if handle:
                back = self.restore(args, handle, task_vars)
                if back.get("failed"):
                    reason += "; the rollback failed too: %s" % back.get("msg")
                else:
                    reason += "; rolled back: %s restored and sshd reloaded" % ", ".join(back.get("restored_files") or ["nothing"])
                    result.update(changed=False, rolled_back=True)
            result.update(failed=True, proven=False, msg="%s (%s:%d): login proof failed: %s"
                          % (task_vars.get("inventory_hostname", host), host, port, reason))
            return result
        if handle:
            self.discard(args, handle, task_vars)
        return result
