# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the fleet report. Documentation: modules/fleet_report.py."""

from __future__ import annotations

import os

from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _report as report
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _report_html as report_html
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import plain
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import write_files


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


class ActionModule(EscrowAction):
    ARGSPEC = dict(
        hosts={"type": "list", "elements": "str", "required": True},
        state_var={"type": "str", "default": "fleet2fa_report_state"},
        outcome_var={"type": "str", "default": "fleet2fa_outcome"},
        report_dir={"type": "path", "required": True},
        query={"type": "str"},
        title={"type": "str", "default": "fleet2fa report"},
    )

    def run_escrow(self, args, host, task_vars):
        hostvars = task_vars.get("hostvars", {})
        states, failures = {}, {}
        for name in args["hosts"]:
            known = hostvars[name] if name in hostvars else {}
            if args["state_var"] in known:
                states[name] = plain(known[args["state_var"]])
            failure = outcome_failure(known.get(args["outcome_var"]) if args["outcome_var"] in known else None)
            if failure:
                failures[name] = failure
        document, guard = report.build(args["hosts"], states, self.store, failures)
        shown = report.narrow(document, args["query"])
        files = {
            "report.json": report.to_json(shown, guard),
            "report.html": guard.check(report_html.render(shown, args["title"]), "HTML report").encode("utf-8"),
        }
        folder = os.path.join(self._loader.get_basedir(), os.path.expanduser(args["report_dir"]))
        written = write_files(folder, files, check_mode=self._task.check_mode)
        return dict(changed=bool(written), json=os.path.join(folder, "report.json"),
                    html=os.path.join(folder, "report.html"), written=written, summary=document["summary"],
                    report=shown)
