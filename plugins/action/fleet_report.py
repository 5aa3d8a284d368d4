# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the fleet report. Documentation: modules/fleet_report.py."""

from __future__ import annotations

import os

from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _findings as findings
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _report as report
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _report_html as report_html
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import plain
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import write_files


def outcome_failure(outcome, option="outcome_var", host=None):
    """The failure a rollout recorded for a host (``fleet2fa_outcome``), as one line, or None.

    Only a record (a mapping) is read: any other value is refused unshown, as it may be anything the
    option was pointed at (a password variable, say).
    """
    outcome = plain(outcome)
    if outcome in (None, "", {}):
        return None
    if not isinstance(outcome, dict):
        raise report.ReportError("%s: the variable of %s is not an outcome record (a mapping with status, step, "
                                 "reason); its value is not shown; nothing was written" % (option, host))
    if outcome.get("status") in (None, "ok"):
        return None
    text = "%s: %s" % (outcome.get("step") or outcome["status"], outcome.get("reason") or "no reason given")
    if "rolled_back" in outcome:
        text += " (rolled back: %s)" % ("yes" if outcome["rolled_back"] in (True, "True", "true") else "no")
    return text


class ActionModule(EscrowAction):
    ARGSPEC = dict(
        hosts={"type": "list", "elements": "str", "required": True},
        state_var={"type": "str", "default": "fleet2fa_report_state"},
        outcome_var={"type": "str", "default": "fleet2fa_outcome"},
        report_dir={"type": "path", "required": True},
        query={"type": "str"},
        title={"type": "str", "default": "fleet2fa report"},
        template={"type": "path"},
        fail_on={"type": "str", "choices": list(findings.SEVERITIES)},
        max_window={"type": "int"},
        max_secret_age_days={"type": "int"},
        accepted_key_users={"type": "list", "elements": "str", "default": [], "no_log": False},
    )

    def run_escrow(self, args, host, task_vars):
        hostvars = task_vars.get("hostvars", {})
        unknown = sorted(set(args["hosts"]) - set(task_vars.get("groups", {}).get("all", [])))
        if unknown:
            raise report.ReportError("hosts: %s %s not in the inventory; nothing was written"
                                     % (", ".join(unknown), "is" if len(unknown) == 1 else "are"))
        states, failures = {}, {}
        for name in args["hosts"]:
            known = hostvars[name] if name in hostvars else {}
            if args["state_var"] in known:
                states[name] = plain(known[args["state_var"]])
                if not isinstance(states[name], dict):
                    raise report.ReportError("state_var: the variable of %s is not a registered result of "
                                             "fleet2fa.nas.otp_state_info (a mapping); its value is not shown; "
                                             "nothing was written" % name)
            failure = outcome_failure(known[args["outcome_var"]] if args["outcome_var"] in known else None,
                                      host=name)
            if failure:
                failures[name] = failure
        policy = {key: args[key] for key in ("max_window", "max_secret_age_days", "accepted_key_users")}
        document, guard = report.build(args["hosts"], states, self.store, failures, policy=policy)
        report.handed_secrets(guard, hostvars, args["hosts"])
        shown = report.narrow(document, args["query"])
        basedir = self._loader.get_basedir()
        template = os.path.join(basedir, os.path.expanduser(args["template"])) if args["template"] else None
        if template and not os.path.isfile(template):
            raise report.ReportError("template: %s is not a file" % template)
        files = {
            "report.json": report.to_json(shown, guard),
            "report.html": guard.check(report_html.render(shown, args["title"], template), "HTML report").encode("utf-8"),
        }
        folder = os.path.join(basedir, os.path.expanduser(args["report_dir"]))
        written = write_files(folder, files, check_mode=self._task.check_mode, option="report_dir")
        result = dict(changed=bool(written), json=os.path.join(folder, "report.json"),
                      html=os.path.join(folder, "report.html"), written=written, summary=document["summary"],
                      findings=document["findings"], report=shown)
        # After the files are written: a nightly CI check reads them whether the gate holds or not.
        gated = findings.at_or_above(document["findings"], args["fail_on"])
        if gated:
            result.update(failed=True, msg=guard.check(findings.gate_message(gated, args["fail_on"]), "failure message"))
        return result
