# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight of a rollout: connection and clock on the controller, sshd/PAM or the middleware on the host.

Documentation: modules/preflight.py. One module call a host; nothing is changed anywhere.
"""

from __future__ import annotations

import time

from ansible_collections.fleet2fa.nas.plugins.module_utils._platform import PREFLIGHT_SPEC
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import HostModuleAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import SSH_PASSWORD_VARS

KEY_CONNECTIONS = ("ssh", "ansible.builtin.ssh", "paramiko", "paramiko_ssh", "ansible.builtin.paramiko_ssh")


class ActionModule(HostModuleAction):
    MODULE = "fleet2fa.nas.preflight"
    ARGSPEC = PREFLIGHT_SPEC

    def connection_problems(self, task_vars, allow_password):
        """Why the automation access is not key-only (empty when it is)."""
        problems = []
        transport = getattr(self._connection, "_load_name", None) or self._play_context.connection
        if transport not in KEY_CONNECTIONS:
            problems.append("Ansible reaches this host with the %s connection; the rollout needs ssh with a key" % transport)
        if not allow_password:
            given = [name for name in SSH_PASSWORD_VARS if task_vars.get(name)]
            if self.connection_option("password") and not given:
                given = ["the connection's password option"]
            if given:
                problems.append("Ansible logs in with a password (%s): once the OTP is asked that login stops "
                                "working; use an SSH key" % ", ".join(given))
        return problems

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validated_args()
        problems = self.connection_problems(task_vars, args["allow_password_connection"])
        before = time.time()
        inner = self.execute(self.module_args(), task_vars)
        after = time.time()
        if inner.get("failed") or inner.get("unreachable"):
            return dict(result, **inner)
        result.update(inner)
        host_time = result.pop("host_time", None)
        problems.extend(result.get("problems") or [])
        if host_time is not None:
            # The host read its clock somewhere between our two readings; half the round trip is the error bar.
            skew = host_time - (before + after) / 2
            result["clock_skew"] = round(skew, 2)
            if abs(skew) > args["max_clock_skew"] + (after - before) / 2:
                problems.append("its clock is %.0f s %s the controller's (more than %d s): codes would not match; "
                                "fix NTP first" % (abs(skew), "ahead of" if skew > 0 else "behind", args["max_clock_skew"]))
        result["problems"] = problems
        result["changed"] = False
        if problems:
            result["failed"] = True
            result["msg"] = "%s refused by preflight: %s" % (task_vars.get("inventory_hostname"), "; ".join(problems))
        return result
