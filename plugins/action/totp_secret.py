# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Get or create the escrowed TOTP secret of (inventory_hostname, user). Documentation: modules/totp_secret.py."""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils import _totp as totp
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import EscrowAction
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow import rotation
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry, check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._qr import QrFiles, app_label

ROTATION_STEPS = ("stage", "commit", "discard")
ENTRY_FIELDS = ("fingerprint", "created", "rotated", "digits", "period", "issuer", "account")


class ActionModule(EscrowAction):
    ARGSPEC = dict(
        user={"type": "str", "default": "root"},
        digits={"type": "int", "choices": list(totp.DIGITS_CHOICES), "default": totp.DEFAULT_DIGITS},
        period={"type": "int", "choices": list(totp.PERIOD_CHOICES), "default": totp.DEFAULT_PERIOD},
        issuer={"type": "str", "default": "fleet2fa"},
        label={"type": "str"},
        regenerate={"type": "str", "choices": ["never", "always"], "default": "never"},
        qr_dir={"type": "path"},
        rotation={"type": "str", "choices": list(ROTATION_STEPS)},
    )
    # The QR files of a rotation are written once it is committed (totp_qr), never of a staged secret.
    ARGSPEC_RULES = {"mutually_exclusive": [["rotation", "qr_dir"]]}

    def run_escrow(self, args, host, task_vars):
        check_mode = self._task.check_mode
        user = check_name(args["user"], "user")
        store = self.store
        account = args["label"] or "%s@%s" % (user, host)
        # before anything is written: an entry whose label no URI can carry would fail every later QR
        totp.check_uri_label(account, args["issuer"], account_option="label")
        if args["rotation"]:
            return self.rotation_step(args, host, user, account)
        current = store.get(host, user)
        wanted = current is None or args["regenerate"] == "always"
        new_key = None
        entry = current
        if wanted and not check_mode:
            new_key = totp.TotpKey.generate(args["digits"], args["period"])
            fresh = EscrowEntry.new(user, new_key, issuer=args["issuer"], account=account)
            if current is None:
                entry, created = store.put_once(host, user, fresh)
                wanted = created  # another fork or controller may have been first
            else:
                entry = store.replace(host, user, fresh)
        qr_written = []
        if args["qr_dir"] and entry is not None:
            # The TOTP engine never gives its key back: its QR is drawn now or never.
            key = entry.key or (new_key if wanted else None)
            if key is not None:
                issuer, app_account = app_label(host, user)  # the one label apps show (see _qr)
                uri = key.uri(app_account, issuer)
                qr_written = QrFiles(args["qr_dir"]).write(host, user, uri, check_mode=check_mode)
        elif args["qr_dir"] and check_mode:
            qr_written = list(QrFiles(args["qr_dir"]).paths(host, user).values())

        if current is not None and not wanted and (current.digits, current.period) != (args["digits"], args["period"]):
            self._display.warning(
                "%s: the escrowed key of %s has %s digits and a %s s period, the task asks for %d and %d; "
                "keeping the escrowed key (regenerate=always replaces it)"
                % (host, user, current.digits, current.period, args["digits"], args["period"])
            )
        after = entry.public() if entry is not None else {"user": user}
        result = dict(
            changed=bool(wanted or qr_written),
            backend=store.backend,
            location=store.location(host),
            user=user,
            fingerprint=after.get("fingerprint"),
            created=after.get("created"),
            rotated=after.get("rotated"),
            digits=after.get("digits", args["digits"]),
            period=after.get("period", args["period"]),
            issuer=after.get("issuer", args["issuer"]),
            account=after.get("account", account),
            qr_files=qr_written,
        )
        if self._task.diff:
            before = {"fingerprint": current.fingerprint} if current else {}
            result["diff"] = {
                "before": before,
                "after": {"fingerprint": after.get("fingerprint") or "(a new key)"} if wanted or current else {},
            }
        return result

    def rotation_step(self, args, host, user, account):
        """One step of a rotation (plugin_utils/_escrow/rotation.py): stage, commit or discard."""
        store, step, check_mode = self.store, args["rotation"], self._task.check_mode
        staging = store.staging_options()  # a backend that cannot stage fails here, before any write
        result = dict(backend=store.backend, location=store.location(host), user=user, rotation=step,
                      staging=staging, qr_files=[])
        if step == "stage":
            result["location"] = store.staged().location(host)
            if check_mode:
                return dict(result, changed=True, fingerprint=None)
            fresh = EscrowEntry.new(user, totp.TotpKey.generate(args["digits"], args["period"]),
                                    issuer=args["issuer"], account=account)
            entry = rotation.stage(store, host, user, fresh)
            return dict(result, changed=True, **{k: entry.public()[k] for k in ENTRY_FIELDS})
        users = rotation.staged_users(store, host)
        if not check_mode:
            users = rotation.commit(store, host) if step == "commit" else rotation.discard(store, host)
        return dict(result, changed=bool(users), users=users)
