# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run sshd_otp on the host, then prove a real password + code login from the controller.

A failed proof restores every file the module changed (from the backup it keeps on the host) and
fails naming the host and the reason. The password and the secrets stay out of the result.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.fleet2fa.nas.plugins.module_utils import deps, totp
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.login_prover import LoginProver, ProofError, key_for

MODULE = "fleet2fa.nas.sshd_otp"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def _option(self, name, task_vars, default=None):
        try:
            value = self._connection.get_option(name)
        except (AttributeError, KeyError, AnsibleError):
            value = None
        return value if value not in (None, "") else default

    def _address(self, task_vars):
        host = self._option("host", task_vars) or task_vars.get("ansible_host") or task_vars.get("inventory_hostname")
        port = self._option("port", task_vars) or task_vars.get("ansible_port") or 22
        return self._templar.template(host), int(self._templar.template(port))

    def _call(self, args, task_vars):
        return self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        password = args.pop("verify_password", None)
        args.pop("verify_timeout", None)
        verify_always = args.pop("verify", "on_change") == "always"
        if not args.get("automation_user"):
            args["automation_user"] = self._option("remote_user", task_vars) or self._play_context.remote_user or task_vars.get("ansible_user")
        inner = self._call(args, task_vars)
        result.update(inner)
        handle = result.pop("rollback_handle", None)
        result.pop("last_used", None)
        if result.get("failed") or args.get("rollback"):
            return result
        state = args.get("state", "present")
        want_proof = state == "present" and password and not self._task.check_mode and (handle or verify_always)
        if not want_proof:
            if handle:
                self._call(dict(args, rollback="discard", rollback_handle=handle), task_vars)
            if state == "present" and not password:
                result["proof"] = {"skipped": "verify_password was not given"}
            return result
        host, port = self._address(task_vars)
        try:
            users = args.get("users") or []
            user = args.get("verify_user") or users[0]["name"]
            digits = int(args.get("digits", totp.DEFAULT_DIGITS))
            period = int(args.get("period", totp.DEFAULT_PERIOD))
            key = key_for(users, user, digits, period)
            if key is None:
                raise ProofError("verify_user %s is not one of users" % user)
            prover = LoginProver(host, port, user, password, key, int(args.get("window", 3)),
                                 int(self._task.args.get("verify_timeout", 15)))
            result["proof"] = prover.prove(last_used=(inner.get("last_used") or {}).get(user))
            result["proven"] = True
        except (ProofError, deps.MissingLibraryError, totp.TotpError) as exc:
            reason = str(exc)
            if handle:
                back = self._call(dict(args, rollback="restore", rollback_handle=handle), task_vars)
                if back.get("failed"):
                    reason += "; the rollback failed too: %s" % back.get("msg")
                else:
                    reason += "; rolled back: %s restored and sshd reloaded" % ", ".join(back.get("restored_files") or ["nothing"])
                    result.update(changed=False, rolled_back=True)
            result.update(failed=True, proven=False, msg="%s (%s:%d): login proof failed: %s"
                          % (task_vars.get("inventory_hostname", host), host, port, reason))
            return result
        if handle:
            self._call(dict(args, rollback="discard", rollback_handle=handle), task_vars)
        return result
