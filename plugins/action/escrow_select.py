# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choose escrowed users of a host by a JMESPath expression. Documentation: modules/escrow_select.py."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.fleet2fa.nas.plugins.plugin_utils.controller import ESCROW_ARGSPEC, failing_as, open_for_plugin
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.escrow import check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.escrow_select import select

ARGSPEC = dict(
    ESCROW_ARGSPEC,
    users={"type": "list", "elements": "str", "default": ["root"]},
    query={"type": "str"},
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGSPEC)
        with failing_as():
            users = [check_name(u, "users") for u in args["users"]]
            store = open_for_plugin(self, args)
            chosen, docs = select(store, task_vars["inventory_hostname"], users, args["query"])
        result.update(changed=False, selected=chosen, entries=docs)
        return result
