# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write enrollment packs and check spot-check codes. Documentation: modules/enrollment_pack.py."""

from __future__ import annotations

import os

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _handout as handout
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._migration import MAX_BATCH


class ActionModule(EscrowAction):
    ARGSPEC = dict(
        users={"type": "list", "elements": "str", "default": ["root"]},
        hosts={"type": "list", "elements": "str", "required": True},
        qr_dir={"type": "path", "required": True},
        batch_size={"type": "int", "default": MAX_BATCH},
        unsupported={"type": "str", "choices": ["skip", "fail"], "default": "skip"},
        spot_checks={"type": "int", "default": 3},
        codes={"type": "list", "elements": "dict", "no_log": True},
        codes_from_escrow={"type": "bool", "default": False},
        window={"type": "int", "default": 1},
    )

    def run_escrow(self, args, host, task_vars):
        if not 1 <= args["batch_size"] <= MAX_BATCH:
            raise handout.HandoutError("batch_size must be 1 to %d (Google Authenticator's limit)" % MAX_BATCH)
        if args["spot_checks"] < 1:
            raise handout.HandoutError("spot_checks must be at least 1")
        totp.validate_window(args["window"])
        codes = handout.codes_by_user(args["codes"])
        packs, pending, changed_paths = {}, [], []
        for user in args["users"]:
            check_name(user, "user")
            folder = handout.pack_dir(args["qr_dir"], user)
            accounts, skipped, missing, others = handout.collect(self.store, user, args["hosts"], args["unsupported"])
            for item in skipped:
                self._display.warning("enrollment pack of %s: %s skipped: %s" % (user, item["host"], item["reason"]))
            pack = {"folder": folder, "index": os.path.join(folder, handout.INDEX), "skipped": skipped,
                    "missing": missing, "batches": [],
                    "written": [], "spot_check": {"status": "none", "hosts": []}}
            packs[user] = pack
            if not accounts:
                continue
            files, manifest = handout.pack_files(user, accounts, skipped, missing, others, args["batch_size"],
                                                 args["spot_checks"])
            pack["written"] = handout.write_pack(folder, files, manifest, skipped, self._task.check_mode)
            changed_paths.extend(pack["written"])
            pack["batches"] = manifest["batches"]
            pack["batch_id"] = manifest["batch_id"]
            pack_hosts = [name for name, _entry in accounts]
            pack["spot_check"] = self._spot_check(self.store, user, pack_hosts, codes, args)
            if pack["spot_check"]["status"] == "pending":
                pending.extend({"user": user, "host": name} for name in pack["spot_check"]["hosts"])
        return dict(changed=bool(changed_paths), packs=packs, pending=pending)

    def _spot_check(self, store, user, pack_hosts, codes, args):
        if user in codes:
            if self._task.check_mode:
                return {"status": "not_checked_in_check_mode", "hosts": sorted(codes[user])}
            checked = handout.check_codes(store, user, pack_hosts, codes[user], args["spot_checks"], args["window"])
            return {"status": "passed", "hosts": checked}
        hosts = handout.pick_spot_hosts(pack_hosts, args["spot_checks"])
        if args["codes_from_escrow"]:
            self._display.warning("codes_from_escrow: the spot check of %s takes its codes from the escrow, not "
                                  "from a device; for labs and CI only" % user)
            if self._task.check_mode:
                return {"status": "not_checked_in_check_mode", "hosts": hosts}
            from_escrow = {host: store.code(host, user) for host in hosts}
            checked = handout.check_codes(store, user, pack_hosts, from_escrow, args["spot_checks"], args["window"])
            return {"status": "passed_from_escrow", "hosts": checked}
        return {"status": "pending", "hosts": hosts}
