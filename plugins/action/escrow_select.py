# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choose escrowed users of a host by a JMESPath expression. Documentation: modules/escrow_select.py."""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._entry_query import select
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._query import QueryError, compile_expression
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import check_name


class ActionModule(EscrowAction):
    ARGSPEC = dict(
        users={"type": "list", "elements": "str", "default": ["root"]},
        query={"type": "str"},
    )

    def run_escrow(self, args, host, task_vars):
        users = [check_name(u, "users") for u in args["users"]]
        if args["query"] is not None:
            try:
                compile_expression(args["query"])
            except QueryError as exc:
                raise QueryError("query: %s" % exc) from None
        chosen, docs = select(self.store, host, users, args["query"])
        return dict(changed=False, selected=chosen, entries=docs)
