# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Escrow the secret a TrueNAS box made for a user. Documentation: modules/truenas_user_2fa.py.

1. Look the user up in the escrow (controller), so the module knows whether it must read the secret.
2. Run the module where the task runs, with no_log, and with a one-time pad for this call: the
   module returns the box's provisioning URI sealed with it, because the connection plugin prints a
   module's raw output at -vvvv.
3. Escrow that URI (write-once, or replace after a rotation) and drop it from the result.
"""

from __future__ import annotations

import binascii
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleet2fa.nas.plugins.module_utils.totp import TotpError
from ansible_collections.fleet2fa.nas.plugins.module_utils.truenas_twofactor import (
    PAD_BYTES,
    PRIVATE_URI_KEY,
    open_sealed_uri,
)
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.controller import (
    ESCROW_ARGSPEC,
    failing_as,
    open_for_plugin,
)
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.escrow import EscrowEntry, EscrowError, check_name

MODULE = "fleet2fa.nas.truenas_user_2fa"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        host = task_vars["inventory_hostname"]
        user = args.get("user")
        if not isinstance(user, str) or not user:
            raise AnsibleActionFail("user is required")
        escrow_args = {name: args.get(name) for name in ESCROW_ARGSPEC}
        with failing_as():
            check_name(user, "user")
            store = open_for_plugin(self, escrow_args)
            current = store.get(host, user)

        module_args = {name: value for name, value in args.items() if name not in ESCROW_ARGSPEC}
        module_args["secret_escrowed"] = current is not None
        pad = binascii.hexlify(os.urandom(PAD_BYTES)).decode("ascii")
        module_args["transfer_pad"] = pad
        # The raw module result may hold the provisioning URI: run it under no_log whatever the task says.
        task_no_log = self._task.no_log
        self._task.no_log = True
        try:
            raw = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        finally:
            self._task.no_log = task_no_log
        sealed = raw.pop(PRIVATE_URI_KEY, None)
        uri = open_sealed_uri(sealed, pad) if sealed else None
        for name in ("invocation", "_ansible_no_log"):
            raw.pop(name, None)
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
            except (EscrowError, TotpError) as exc:
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
