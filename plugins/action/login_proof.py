# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove real logins from the controller and record the time in the escrow. Documentation: modules/login_proof.py."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleet2fa.nas.plugins.module_utils import deps, totp
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.controller import ESCROW_ARGSPEC, failing_as, open_for_plugin
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.escrow import check_name, utcnow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.fleet_proof import FleetProof, parse_time
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.login_prover import ProofError

ARGSPEC = dict(
    ESCROW_ARGSPEC,
    user={"type": "str", "default": "root"},
    password={"type": "str", "no_log": True},
    address={"type": "str"},
    port={"type": "int"},
    ssh={"type": "str", "choices": ["otp", "password", "none"], "default": "otp"},
    api={"type": "str", "choices": ["otp", "none"], "default": "none"},
    api_url={"type": "str"},
    api_cert_sha256={"type": "str"},
    api_validate_certs={"type": "bool", "default": True},
    api_ca_path={"type": "path"},
    window={"type": "int", "default": 3},
    timeout={"type": "int", "default": 15},
    record={"type": "bool", "default": True},
    record_only={"type": "bool", "default": False},
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGSPEC)
        host = task_vars["inventory_hostname"]
        address = args["address"] or self._templar.template(task_vars.get("ansible_host", host))
        port = args["port"] or int(self._templar.template(task_vars.get("ansible_port", 22)))
        result.update(changed=False, proofs=[], proven=False)
        if self._task.check_mode:
            result["skipped_reason"] = "no login is made in check mode"
            return result
        with failing_as():
            user = check_name(args["user"], "user")
            store = open_for_plugin(self, args)
            entry = store.get(host, user)
            if entry is None:
                raise AnsibleActionFail("%s has no secret for user %s" % (store.location(host), user))
            if not args["record_only"]:
                if not args["password"]:
                    raise AnsibleActionFail("password is required for a login proof")
                if entry.key is None:
                    raise AnsibleActionFail("the escrow of %s keeps the key of %s in the TOTP engine; login proofs "
                                            "need a file or kv escrow" % (host, user))
                result["proofs"] = self._prove(args, host, address, port, user, entry)
            result["proven"] = True
            if args["record"]:
                stamp = utcnow()

                def stamped(current):
                    current.last_proven_login = stamp
                    return current

                store.update(host, user, stamped)
                result["last_proven_login"] = stamp
                result["changed"] = False  # the escrow's record of a login is not a change of the host
        return result

    def _prove(self, args, host, address, port, user, entry):
        proof = FleetProof(address, port, user, args["password"], entry.key, window=args["window"],
                           timeout=args["timeout"])
        last = parse_time(entry.last_proven_login)
        done = []
        try:
            if args["api"] == "otp":
                url = args["api_url"] or "wss://%s" % address
                done.append(proof.api_otp(url, pin_sha256=args["api_cert_sha256"],
                                          validate_certs=args["api_validate_certs"], ca_path=args["api_ca_path"],
                                          last_used=last))
            if args["ssh"] == "otp":
                done.append(proof.ssh_otp(last_used=last))
            elif args["ssh"] == "password":
                done.append(proof.ssh_password())
        except (ProofError, deps.MissingLibraryError, totp.TotpError) as exc:
            raise AnsibleActionFail("%s (%s:%d): login proof failed: %s" % (host, address, port, exc)) from None
        return done
