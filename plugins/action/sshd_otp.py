# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run sshd_otp on the host, then prove from the controller that Ansible and the users still get in.

Before the backup on the host is dropped: Ansible's account logs in by key on a fresh connection and
runs a command, and a real password + code login runs one too (a wrong code refused first); both talk
only to the host Ansible reached (its host keys, read over Ansible's connection) and go the way
Ansible's connection goes (ProxyJump, ProxyCommand).

The secrets of users listed without one are read from the escrow here, on the controller, and go to
the module as no_log arguments; the proof uses the key the action holds. A failed proof restores
every file the module changed (from the backup it keeps on the host) and fails naming the host and
the reason. The password and the secrets stay out of the result.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_module import ARGUMENT_RULES, ARGUMENT_SPEC
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import HostModuleAction, failing_as
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError, check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._fleet_proof import automation_key_login, proof_path
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_prover import LoginProver, ProofError


class ActionModule(HostModuleAction):
    MODULE = "fleet2fa.nas.sshd_otp"
    ARGSPEC = ARGUMENT_SPEC
    ARGSPEC_RULES = ARGUMENT_RULES
    ACTION_ONLY = ("verify_password", "verify_timeout", "verify", "escrow")

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validated_args()
        host = task_vars["inventory_hostname"]
        module_args = self.module_args()
        if not module_args.get("automation_user"):
            module_args["automation_user"] = self.connection_option("remote_user") or self._play_context.remote_user \
                or task_vars.get("ansible_user")
        if args["state"] == "present" and not args["rollback"]:
            with failing_as():
                module_args["users"] = self.users_with_secrets(args, host)
        inner = self.execute_quietly(module_args, task_vars)
        result.update(inner)
        handle = result.pop("rollback_handle", None)
        last_used = result.pop("last_used", None) or {}
        if args["rollback"]:
            return result
        if result.get("failed"):
            # The module fails before it writes, or restores every file it wrote (rolled_back).
            result["host_state"] = "restored" if result.get("rolled_back") else "unchanged"
            return result
        result["host_state"] = "applied" if handle else "unchanged"
        password = args["verify_password"]
        # A changed host is checked whether or not a password was given: Ansible's key login first.
        key_check = bool(handle) and not self._task.check_mode
        want_proof = args["state"] == "present" and password and not self._task.check_mode \
            and (handle or args["verify"] == "always")
        if args["state"] == "present" and not password:
            result["proof"] = {"skipped": "verify_password was not given"}
        if not (key_check or want_proof):
            return result
        address, port = self.ssh_target(task_vars)
        problems = self.prove(result, args, module_args, task_vars, address, port, last_used, want_proof)
        if problems:
            reason = "; ".join(problems)
            if handle:
                back = self.restore(module_args, handle, task_vars)
                if back.get("failed"):
                    reason += "; the rollback failed too: %s" % back.get("msg")
                    result["host_state"] = "unknown"
                else:
                    reason += "; rolled back: %s restored and sshd reloaded" % ", ".join(back.get("restored_files") or ["nothing"])
                    result.update(changed=False, rolled_back=True, host_state="restored")
            result.update(failed=True, proven=False, msg="%s (%s:%d): login proof failed: %s" % (host, address, port, reason))
            return result
        if handle:
            self.discard(module_args, handle, task_vars)
        return result

    def prove(self, result, args, module_args, task_vars, address, port, last_used, want_proof):
        """Ansible's key login on a fresh connection, then (``want_proof``) password + code, each running a
        command; the failures, each named (both are tried, so a result tells every lockout at once)."""
        problems = []
        port_given = self.ssh_port_given(task_vars)
        try:
            route, pins = proof_path(self, task_vars, address, port, port_given)
        except Fleet2faError as exc:
            return [str(exc)]
        try:
            result["key_login"] = automation_key_login(self, module_args["automation_user"],
                                                       self.connection_option("host") or address, port, port_given,
                                                       pins, args["verify_timeout"])
        except Fleet2faError as exc:
            problems.append(str(exc))
        if want_proof:
            user = args["verify_user"] or module_args["users"][0]["name"]
            try:
                prover = LoginProver(address, port, user, args["verify_password"],
                                     self.proof_key(module_args["users"], user, args), args["window"],
                                     args["verify_timeout"], route=route, pins=pins)
                result["proof"] = prover.prove(last_used=last_used.get(user))
                result["proven"] = not problems
            except Fleet2faError as exc:
                problems.append(str(exc))
        return problems

    def users_with_secrets(self, args, host):
        """The task's users, each with its secret: as given, or the escrowed one of (host, user)."""
        users = args["users"] or []
        store = self.open_store(args["escrow"]) if any(not item.get("secret") for item in users) else None
        filled = []
        for item in users:
            secret = item.get("secret")
            if not secret:
                secret = self.escrowed_secret(store, host, item["name"], args)
            filled.append({"name": item["name"], "secret": secret})
        return filled

    @staticmethod
    def escrowed_secret(store, host, user, args):
        entry = store.get(host, check_name(user, "user"))
        if entry is None:
            raise EscrowError("%s has no secret for user %s: run fleet2fa.nas.totp_secret first" % (store.location(host), user))
        if entry.key is None:
            raise EscrowError("the key of %s on %s lives in the TOTP engine, which never gives it back; pam_oath needs "
                              "it: use a file or kv escrow for Linux hosts" % (user, host))
        if (entry.digits, entry.period) != (args["digits"], args["period"]):
            raise EscrowError("the escrowed key of %s on %s has %d digits and a %d s period, the task asks for %d and %d: "
                              "set digits and period to the escrow's, or rotate the key (fleet2fa.nas.totp_secret "
                              "regenerate=always)" % (user, host, entry.digits, entry.period, args["digits"],
                                                      args["period"]))
        return entry.key.secret

    @staticmethod
    def proof_key(users, user, args):
        """The TotpKey the proof logs in with: the secret the module just put in force for ``user``."""
        for item in users:
            if item["name"] == user:
                return TotpKey(item["secret"], args["digits"], args["period"])
        raise ProofError("verify_user %s is not one of users" % user)
