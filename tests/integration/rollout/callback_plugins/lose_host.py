"""Test-only callback: the lab host FLEET2FA_LOSE_HOST of lab FLEET2FA_LOSE_LAB loses power the moment
the play starts the first task whose name contains FLEET2FA_LOSE_AT, before any worker runs it.

The callback runs in the controller's main process, which queues a task's workers only after every
task-start callback returned: the host is gone before that task reaches it, every time.
"""

from __future__ import annotations

import os
import sys

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: lose_host
type: aggregate
short_description: kill a lab host when the play reaches a task (fault tests only)
description: [kill a lab host when the play reaches a task (fault tests only)]
"""

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from rollout_support import kill_host  # noqa: E402  pylint: disable=wrong-import-position


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "lose_host"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.done = False

    def v2_playbook_on_task_start(self, task, is_conditional):
        marker = os.environ.get("FLEET2FA_LOSE_AT")
        if self.done or not marker or marker not in (task.get_name() or ""):
            return
        kill_host(os.environ["FLEET2FA_LOSE_LAB"], os.environ["FLEET2FA_LOSE_HOST"])
        self.done = True
        with open(os.environ["FLEET2FA_LOSE_MARK"], "w", encoding="utf-8") as fh:
            fh.write(task.get_name() + "\n")
