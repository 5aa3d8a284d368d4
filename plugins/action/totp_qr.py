# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the QR files of an escrowed secret. Documentation: modules/totp_qr.py."""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError, check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._qr import QrFiles, app_uri


class ActionModule(EscrowAction):
    ARGSPEC = dict(
        user={"type": "str", "default": "root"},
        qr_dir={"type": "path", "required": True},
        terminal={"type": "bool", "default": False},
    )

    def run_escrow(self, args, host, task_vars):
        user = check_name(args["user"], "user")
        files = QrFiles(args["qr_dir"])
        paths = files.paths(host, user)  # a host name that would leave qr_dir fails here
        entry = self.store.get(host, user)
        if entry is None:
            raise EscrowError(
                "%s has no secret for user %s yet: run fleet2fa.nas.totp_secret first" % (self.store.location(host), user)
            )
        if entry.key is None:
            raise EscrowError(
                "the key of %s on %s lives in the TOTP engine and cannot be read back; its QR files are "
                "written by fleet2fa.nas.totp_secret with qr_dir when the key is created" % (user, host)
            )
        uri = app_uri(entry, host, user)
        written = files.write(host, user, uri, check_mode=self._task.check_mode)
        drawn = None
        if args["terminal"] and not self._task.check_mode:
            drawn = files.draw_on_terminal(uri, "%s on %s (%s)" % (user, host, entry.fingerprint))
            if not drawn:
                self._display.warning("%s: no terminal (/dev/tty) to draw the QR code of %s on" % (host, user))
        return dict(changed=bool(written), png=paths[".png"], svg=paths[".svg"], written=written,
                    fingerprint=entry.fingerprint, user=user, terminal=drawn)
