"""Bench-only callback: wall-clock seconds of every task (all hosts together), printed after the recap.

ansible-core has no profile_tasks of its own and the bench must not need another collection.
"""

from __future__ import annotations

import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_clock
type: aggregate
short_description: wall-clock seconds per task, for tests/bench
description: [Wall-clock seconds per task (all hosts together), printed after the play recap.]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_clock"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.started = time.monotonic()
        self.current = None
        self.rows = []

    def _close(self):
        if self.current:
            name, since = self.current
            self.rows.append((time.monotonic() - since, name))
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = (task.get_name(), time.monotonic())

    def v2_playbook_on_stats(self, stats):
        self._close()
        for seconds, name in self.rows:
            self._display.display("task-clock %6.2f  %s" % (seconds, name))
        self._display.display("task-clock %6.2f  (whole playbook)" % (time.monotonic() - self.started))
