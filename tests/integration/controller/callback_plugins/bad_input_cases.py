"""Test-only callback: one bad-input case a play (named ``CASE <id>``), its failures and the state around it.

At the start of each case play and at the end of the run it records a digest of the controller's folders
(BADINPUT_FOLDERS, a JSON list) and, when BADINPUT_LAB and BADINPUT_LAB_HOST name a lab host, of that
host's files (HOST_FILES), read through the lab's own exec (nsenter, no SSH round trip). The callback
runs in the controller's main process between plays, so a case's "before" is taken after the previous
case's last task and its "after" before the next case's first. Results go to BADINPUT_RESULTS as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bad_input_cases
type: aggregate
short_description: record each bad-input case's failures and the state before and after (tests only)
description: [record each bad-input case's failures and the state before and after (tests only)]
"""

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
# What a bad sshd_otp (or any host) case must leave as it was: sshd, PAM, pam_oath's file, the module's state.
HOST_FILES = ("/etc/ssh", "/etc/pam.d", "/etc/users.oath", "/var/lib/fleet2fa")
_HOST_SCRIPT = ("for p in %s; do [ -e \"$p\" ] || continue; find \"$p\" -printf '%%p %%m %%U %%G %%y\\n'; "
                "find \"$p\" -type f -exec sha256sum {} +; done" % " ".join(HOST_FILES))


def folder_digest(folders):
    """sha256 over every path, mode, mtime and content under ``folders`` (a missing folder counts too)."""
    digest = hashlib.sha256()
    for folder in folders:
        if not os.path.lexists(folder):
            digest.update(b"missing " + folder.encode() + b"\n")
            continue
        for base, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(dirs + files):
                path = os.path.join(base, name)
                st = os.lstat(path)
                digest.update(("%s %o %d\n" % (path, st.st_mode, st.st_mtime_ns)).encode())
                if name in files and os.path.isfile(path):
                    with open(path, "rb") as handle:
                        digest.update(handle.read())
    return digest.hexdigest()


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bad_input_cases"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.folders = json.loads(os.environ.get("BADINPUT_FOLDERS", "[]"))
        self.lab = os.environ.get("BADINPUT_LAB")
        self.lab_host = os.environ.get("BADINPUT_LAB_HOST")
        self.cases = {}
        self.current = None

    def _state(self):
        state = {"controller": folder_digest(self.folders)}
        if self.lab and self.lab_host:
            sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
            from fleetlib import faults  # pylint: disable=import-outside-toplevel
            state["host"] = hashlib.sha256(faults.host_exec(self.lab, self.lab_host, _HOST_SCRIPT).encode()).hexdigest()
        return state

    def _close(self):
        if self.current is not None:
            self.cases[self.current]["after"] = self._state()
            self.cases[self.current]["seconds"] = round(time.monotonic() - self.cases[self.current]["seconds"], 2)
            self.current = None

    def v2_playbook_on_play_start(self, play):
        self._close()
        name = play.get_name() or ""
        if name.startswith("CASE "):
            self.current = name[len("CASE "):]
            self.cases[self.current] = {"before": self._state(), "failures": [], "ok": 0, "seconds": time.monotonic()}

    def _failed(self, result):
        if self.current is not None:
            res = result._result  # pylint: disable=protected-access
            self.cases[self.current]["failures"].append(str(res.get("msg") or res.get("message") or res))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._failed(result)

    def v2_runner_on_unreachable(self, result):
        self._failed(result)

    def v2_runner_item_on_failed(self, result):
        self._failed(result)

    def v2_runner_on_ok(self, result):
        if self.current is not None:
            self.cases[self.current]["ok"] += 1

    def v2_playbook_on_stats(self, stats):
        self._close()
        with open(os.environ["BADINPUT_RESULTS"], "w", encoding="utf-8") as handle:
            json.dump(self.cases, handle, indent=1, sort_keys=True)
