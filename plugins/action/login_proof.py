# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove real logins from the controller and record the time in the escrow. Documentation: modules/login_proof.py."""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.version import capabilities, parse_version
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import epoch_seconds, utcnow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError, check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._fleet_proof import FleetProof, proof_path
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._ssh_prover import ProofError


class ActionModule(EscrowAction):
    ARGSPEC = dict(
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
        truenas_version={"type": "str"},
    )

    def run_escrow(self, args, host, task_vars):
        address, port = self.ssh_target(task_vars, args["address"], args["port"])
        result = dict(changed=False, proofs=[], proven=False)
        if self._task.check_mode:
            result["skipped_reason"] = "no login is made in check mode"
            return result
        user = check_name(args["user"], "user")
        entry = self.store.get(host, user)
        takes_code = "otp" in (args["ssh"], args["api"])
        # A password-only proof that records nothing needs no escrow entry: disable.yml proves the
        # password login on hosts that were never switched on (a cleanup after a failed rollout).
        if entry is None and (takes_code or args["record"] or args["record_only"]):
            raise EscrowError("%s has no secret for user %s" % (self.store.location(host), user))
        taken = None  # the latest step the host's pam_oath took in this task
        if not args["record_only"]:
            if not args["password"]:
                raise EscrowError("password is required for a login proof")
            if takes_code and entry.key is None:
                raise EscrowError("the escrow of %s keeps the key of %s in the TOTP engine; login proofs "
                                  "need a file or kv escrow" % (host, user))
            try:
                route = pins = None
                if args["ssh"] != "none":
                    route, pins = proof_path(self, task_vars, address, port, self.ssh_port_given(task_vars, args["port"]))
                result["proofs"], taken = self._prove(args, address, port, user, entry, host, route, pins)
            except Fleet2faError as exc:
                raise ProofError("%s (%s:%d): login proof failed: %s" % (host, address, port, exc)) from None
        elif entry.period:
            # sshd_otp proved the login a moment ago, at a step no later than this one.
            taken = totp.time_step(entry.period)
        result["proven"] = True
        if args["record"]:
            stamp = utcnow()

            def stamped(current):
                if current.last_otp_step is None:
                    # An entry from before last_otp_step knows its last proof by its time alone; 0: none.
                    before = epoch_seconds(current.last_proven_login)
                    current.last_otp_step = totp.time_step(current.period, before) if before and current.period else 0
                if taken is not None:
                    current.last_otp_step = max(current.last_otp_step, taken)
                current.last_proven_login = stamp
                return current

            self.store.update(host, user, stamped)
            result["last_proven_login"] = stamp  # the escrow's record of a login is not a change of the host
        return result

    @staticmethod
    def _prove(args, address, port, user, entry, host, route, pins):
        """(what each proof did, the latest step the host's pam_oath took or None)."""
        if entry is None:  # a password-only proof (see run_escrow)
            return [FleetProof(address, port, user, args["password"], None, window=args["window"],
                               timeout=args["timeout"], route=route, pins=pins).ssh_password()], None
        used = entry.last_otp_step
        if used is None and epoch_seconds(entry.last_proven_login) is not None:
            used = totp.time_step(entry.key.period, epoch_seconds(entry.last_proven_login))
        shares, ahead = True, 0
        if args["truenas_version"]:
            # A TrueNAS box: a proof may take the next step inside its window rather than wait for it.
            caps = capabilities(parse_version(args["truenas_version"], host), host)
            shares, ahead = caps.otp_replay_refused, args["window"]
        proof = FleetProof(address, port, user, args["password"], entry.key, window=args["window"],
                           timeout=args["timeout"], used_step=used, ahead=ahead, route=route, pins=pins)
        done = []
        if args["api"] == "otp":
            url = args["api_url"] or "wss://%s" % address
            done.append(proof.api_otp(url, pin_sha256=args["api_cert_sha256"], validate_certs=args["api_validate_certs"],
                                      ca_path=args["api_ca_path"], shares_ssh_replay=shares))
        if args["ssh"] == "otp":
            done.append(proof.ssh_otp())
        elif args["ssh"] == "password":
            done.append(proof.ssh_password())
        return done, (proof.used_step if proof.used_step != used else None)
