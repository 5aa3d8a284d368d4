# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the fleet report. Documentation: modules/fleet_report.py."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleet2fa.nas.plugins.module_utils.deps import MissingLibraryError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import report, report_html
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.controller import ESCROW_ARGSPEC, failing_as, open_for_plugin
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.files import FileWriteError, write_files
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.query import QueryError, plain

ARGSPEC = dict(
    ESCROW_ARGSPEC,
    hosts={"type": "list", "elements": "str", "required": True},
    state_var={"type": "str", "default": "fleet2fa_report_state"},
    outcome_var={"type": "str", "default": "fleet2fa_outcome"},
    report_dir={"type": "path", "required": True},
    query={"type": "str"},
    title={"type": "str", "default": "fleet2fa report"},
)


def outcome_failure(outcome):
    """The failure a rollout recorded for a host (``fleet2fa_outcome``), as one line, or None."""
    outcome = plain(outcome)
    if isinstance(outcome, dict):
        if outcome.get("status") in (None, "ok"):
            return None
        text = "%s: %s" % (outcome.get("step") or outcome["status"], outcome.get("reason") or "no reason given")
        if "rolled_back" in outcome:
            text += " (rolled back: %s)" % ("yes" if outcome["rolled_back"] in (True, "True", "true") else "no")
        return text
    return str(outcome) if outcome else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGSPEC)
        hostvars = task_vars.get("hostvars", {})
        states, failures = {}, {}
        for host in args["hosts"]:
            known = hostvars[host] if host in hostvars else {}
            if args["state_var"] in known:
                states[host] = plain(known[args["state_var"]])
            failure = outcome_failure(known.get(args["outcome_var"]) if args["outcome_var"] in known else None)
            if failure:
                failures[host] = failure
        with failing_as():
            try:
                store = open_for_plugin(self, args)
                document, guard = report.build(args["hosts"], states, store, failures)
                shown = report.narrow(document, args["query"])
                files = {
                    "report.json": report.to_json(shown, guard),
                    "report.html": guard.check(report_html.render(shown, args["title"]), "HTML report").encode("utf-8"),
                }
                folder = os.path.join(self._loader.get_basedir(), os.path.expanduser(args["report_dir"]))
                written = write_files(folder, files, check_mode=self._task.check_mode)
            except (report.ReportError, QueryError, FileWriteError, MissingLibraryError) as exc:
                raise AnsibleActionFail(str(exc)) from None
        result.update(
            changed=bool(written),
            json=os.path.join(folder, "report.json"),
            html=os.path.join(folder, "report.html"),
            written=written,
            summary=document["summary"],
            report=shown,
        )
        return result
