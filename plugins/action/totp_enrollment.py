# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record, list and remove the devices enrolled for an escrowed secret. Documentation: modules/totp_enrollment.py."""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._enrollment import DeviceEnrollment
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError, check_name


class ActionModule(EscrowAction):
    ARGSPEC = dict(
        user={"type": "str", "default": "root"},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        devices={
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "name": {"type": "str", "required": True},
                "code": {"type": "str", "no_log": True},
            },
        },
        window={"type": "int", "default": 1},
        min_devices={"type": "int", "default": 2},
        check_min_devices={"type": "bool", "default": False},
        verify_from_escrow_for_labs={"type": "bool", "default": False},
    )

    def run_escrow(self, args, host, task_vars):
        user = check_name(args["user"], "user")
        if args["min_devices"] < 1:
            # 0 would let activation go ahead with no device that holds the secret: a lockout
            raise EscrowError("min_devices must be at least 1, got %d" % args["min_devices"])
        store = self.store
        entry = store.get(host, user)
        if entry is None:
            raise EscrowError("%s has no secret for user %s: run fleet2fa.nas.totp_secret first" % (store.location(host), user))
        enrollment = DeviceEnrollment(
            host, user, window=args["window"], lab_verify=args["verify_from_escrow_for_labs"],
            verifier=getattr(store, "device_verifier", lambda: None)(),
            replay_guard=not getattr(store, "guards_replay", False),
        )
        outcome = {"names": []}

        def change(current):
            if args["state"] == "present":
                outcome["names"] = enrollment.add(current, args["devices"])
            else:
                names = [d["name"] for d in args["devices"]]
                before = {d["name"] for d in current.devices}
                enrollment.remove(current, names)
                outcome["names"] = sorted(before & set(names))
            return current

        if self._task.check_mode:
            entry = change(entry.copy())
            changed = bool(outcome["names"])
        else:
            entry, changed = store.update(host, user, change)
        if args["verify_from_escrow_for_labs"] and outcome["names"]:
            self._display.warning(
                "%s: verify_from_escrow_for_labs marked device(s) %s of %s verified without asking them; "
                "labs and CI only" % (host, ", ".join(outcome["names"]), user)
            )
        result = enrollment.status(entry, args["min_devices"])
        result.update(changed=changed, user=user, fingerprint=entry.fingerprint, backend=store.backend)
        result["added" if args["state"] == "present" else "removed"] = outcome["names"]
        problem = enrollment.min_devices_error(entry, args["min_devices"]) if args["check_min_devices"] else None
        if problem:
            result.update(failed=True, msg=problem)
        return result
