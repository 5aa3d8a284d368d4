# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Escrow the secret a TrueNAS box made for a user. Documentation: modules/truenas_user_2fa.py.

1. Look the user up in the escrow (controller), so the module knows whether it must read the secret,
   and make sure the escrow can take a new one before the box makes it.
2. Run the module where the task runs, quietly, with a one-time pad for this call: the module
   returns the box's provisioning URI sealed with it, because the connection plugin prints a
   module's raw output at -vvvv (module_utils/_sealed.py).
3. Escrow that URI (write-once, or replace after a rotation) and drop it from the result.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._sealed import SEALED_KEY, new_pad, unseal
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import CONNECTION_REQUIRED_IF
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.twofactor import USER_SECRET_ARGSPEC
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import HostModuleAction, failing_as
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry, check_name


class ActionModule(HostModuleAction):
    MODULE = "fleet2fa.nas.truenas_user_2fa"
    ARGSPEC = USER_SECRET_ARGSPEC
    ARGSPEC_RULES = {"required_if": CONNECTION_REQUIRED_IF}
    ACTION_ONLY = ("escrow",)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validated_args()
        host = task_vars["inventory_hostname"]
        user = args["user"]
        with failing_as():
            check_name(user, "user")
            store = self.open_store(args["escrow"])
            current = store.get(host, user)
            if not self._task.check_mode and args.get("state", "present") == "present":
                # The box makes a new secret and uses it at once: an escrow that could not take it (a refused
                # folder, a wrong vault password, a lock held) must fail now, before the box is asked.
                store.check_writable(host)

        pad = new_pad()
        raw = self.execute_quietly(self.module_args(secret_escrowed=current is not None, transfer_pad=pad), task_vars)
        sealed = raw.pop(SEALED_KEY, None)
        uri = unseal(sealed, pad) if sealed else None
        result.update(raw)
        if raw.get("failed"):
            return result

        entry = current
        if uri is not None:
            try:
                fresh = EscrowEntry.from_uri(user, uri)
                if raw.get("new_secret"):
                    entry = store.replace(host, user, fresh)
                else:
                    entry, dummy = store.put_once(host, user, fresh)
            except Fleet2faError as exc:
                lost = " The box made a new secret that is now in no escrow: fix the escrow, then run again " \
                       "(25.04 and later need regenerate=always)." if raw.get("new_secret") else ""
                raise AnsibleActionFail("%s: escrowing the secret of %s failed: %s.%s" % (host, user, exc, lost)) \
                    from None
            result["changed"] = True
        elif raw.get("secret_configured") and current is None and not self._task.check_mode:
            raise AnsibleActionFail("%s: the box reports a secret for %s but returned no provisioning URI" % (host, user))
        result["escrowed"] = entry is not None
        if entry is not None:
            result["escrow"] = entry.public()
        return result
