# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's sshd behind password + one-time code: check a plan, apply it, reload, roll back.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Order matters for lockout safety. Everything is checked before the first write: the users, the
PAM module, the whole resulting sshd config (``sshd -t`` on a staged copy) and, for each user in
scope, what ``sshd -T -C user=...`` says once the Match blocks are evaluated. On the way in the
users file and the PAM line come first (the running sshd still uses its old config meanwhile, and a
password alone can only get harder, never easier); on the way out sshd is reloaded first.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import file_backup, layout, oath_users, sshd_config
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import sshd_otp_plan
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.files import (
    read_text,
    remove,
    remove_empty_dir,
    write_keeping_owner,
)
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.oath_users import OathUsersFile
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.sshd_otp_plan import ChangeKind, HostError

STATE_FILE = "state.json"


class RolledBack(HostError):
    """Applying failed after files were written; every file was restored from the backup."""


class SshdOtpHost:
    """The files of one host and what a request makes of them. ``run(argv)`` returns (rc, out, err)."""

    def __init__(self, request, run, sshd_path=None):
        self.req = request
        self.run = run
        self.sshd = sshd_path or layout.find_sshd()
        if not self.sshd:
            raise HostError("no sshd binary found (looked in %s and the PATH)" % ", ".join(layout.sshd_paths()))
        self.state_path = os.path.join(request.backup_root, STATE_FILE)
        self._version = None

    @property
    def version(self):
        """(major, minor) of the host's OpenSSH, from ``sshd -V``, asked once."""
        if self._version is None:
            _rc, out, err = self._sshd("-V")
            self._version = sshd_config.parse_version(err + out) or ()
        return self._version or None

    def _sshd(self, *args):
        return self.run([self.sshd] + list(args))

    def plan(self):
        """The ``Plan`` of the request on this host's files as they are now."""
        state = json.loads(read_text(self.state_path) or "{}")
        return sshd_otp_plan.plan(self.req, state, self.state_path, self.version)

    # ---- checks --------------------------------------------------------------------------

    def preflight(self, plan):
        req = self.req
        if req.state == "present":
            if not layout.find_pam_module(req.pam_module):
                raise HostError("the PAM module %s is not installed on this host (%s); nothing was changed"
                                % (req.pam_module, layout.install_hint()))
            folder = os.path.dirname(req.usersfile)
            if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
                raise HostError(
                    "%s must be a writable folder: pam_oath rewrites %s there after every login" % (folder, req.usersfile)
                )
        self.check_sshd(plan)

    def check_sshd(self, plan):
        """sshd -t on the staged result, and sshd -T -C for each user in scope."""
        req = self.req
        if not os.path.isdir("/run/sshd"):
            # sshd -t refuses to run without its privilege separation folder (systemd makes it when sshd starts).
            os.makedirs("/run/sshd", mode=0o755)
        stage = tempfile.mkdtemp(prefix="fleet2fa-sshd-")
        try:
            staged_dir = os.path.join(stage, "sshd_config.d")
            os.mkdir(staged_dir)
            if os.path.isdir(req.dropin_dir):
                for name in os.listdir(req.dropin_dir):
                    src = os.path.join(req.dropin_dir, name)
                    if os.path.isfile(src) and src != req.dropin:
                        shutil.copy2(src, os.path.join(staged_dir, name))
            dropin_after = plan.after(req.dropin)
            if dropin_after is not None:
                with open(os.path.join(staged_dir, os.path.basename(req.dropin)), "w") as handle:
                    handle.write(dropin_after)
            main = sshd_config.SshdMainConfig(plan.after(req.sshd_config))
            staged_main = os.path.join(stage, "sshd_config")
            with open(staged_main, "w") as handle:
                handle.write(main.staged(req.dropin_dir, staged_dir))
            rc, out, err = self._sshd("-t", "-f", staged_main)
            if rc != 0:
                raise HostError("sshd -t rejects the resulting configuration: %s" % _clean(err or out, stage, req))
            if req.state != "present":
                return
            for user in plan.dropin.users_in_scope():
                effective, error = sshd_config.effective_settings(self.run, self.sshd, user, staged_main)
                if effective is None:
                    raise HostError("sshd -T -C user=%s fails: %s" % (user, _clean(error, stage, req)))
                wrong = sshd_config.mismatches(effective, plan.dropin.expected(user))
                if wrong:
                    raise HostError(
                        "for user %s sshd would use other settings than ours (another file sets them first?): %s"
                        % (user, "; ".join(wrong))
                    )
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    # ---- apply ---------------------------------------------------------------------------

    def apply(self, plan):
        """Write what changed, after saving it; reload sshd. Returns the backup handle or None."""
        req = self.req
        changed = plan.changed
        if not changed:
            return None
        file_backup.prune(req.backup_root)
        backup = file_backup.FileBackup.create(req.backup_root)
        backup.save([c.path for c in changed], created_dirs=plan.dirs_to_create)
        try:
            for folder in plan.dirs_to_create:
                os.makedirs(folder, mode=0o755)
            sshd_touched = plan.touches(ChangeKind.SSHD)
            for change in changed:
                if req.state != "present" and change.kind is ChangeKind.PAM and sshd_touched:
                    # Out of the way: sshd drops keyboard-interactive for these users first.
                    self.reload()
                    sshd_touched = False
                self._write(change, plan)
            for folder in plan.dirs_to_remove:
                remove_empty_dir(folder)
            if sshd_touched:
                rc, out, err = self._sshd("-t")
                if rc != 0:
                    raise HostError("sshd -t rejects the written configuration: %s" % (err or out).strip())
                self.reload()
        except Exception as exc:
            backup.restore(locked_paths=(req.usersfile,), lock_timeout=req.lock_timeout)
            if plan.touches(ChangeKind.SSHD):
                self.reload(quiet=True)
            backup.discard()
            if isinstance(exc, HostError):
                raise RolledBack("%s; every file was restored" % exc) from None
            raise RolledBack("applying failed (%s); every file was restored" % type(exc).__name__) from None
        return backup.folder

    def _write(self, change, plan):
        req = self.req
        if change.kind is ChangeKind.USERS_FILE:
            oath_users.update_users_file(req.usersfile, lambda users: self._edit_users_file(users, plan),
                                         timeout=req.lock_timeout)
        elif change.after is None:
            remove(change.path)
            if change.kind is ChangeKind.STATE:
                remove_empty_dir(os.path.dirname(change.path))
        elif change.kind is ChangeKind.STATE:
            os.makedirs(os.path.dirname(change.path), mode=0o700, exist_ok=True)
            write_keeping_owner(change.path, change.after, new_mode=0o600)
        else:
            write_keeping_owner(change.path, change.after)

    def _edit_users_file(self, users, plan):
        """The plan's edit again, on the file as it is under pam_oath's lock."""
        existed = os.path.exists(self.req.usersfile)
        sshd_otp_plan.edit_users_file(users, self.req, plan.users_removed)
        return sshd_otp_plan.users_file_text(users, self.req, existed, plan.created_before)

    def service_unit(self):
        unit = layout.service_unit(self.run)
        if unit is None:
            raise HostError("none of %s is known to systemctl on this host" % ", ".join(layout.service_units()))
        return unit

    def reload(self, quiet=False):
        verb = "restart" if self.req.sshd_apply == "restart" else "reload"
        unit = self.service_unit()
        rc, out, err = self.run(["systemctl", verb, unit])
        if rc != 0 and not quiet:
            raise HostError("systemctl %s %s failed: %s" % (verb, unit, (err or out).strip()))

    def restore(self, handle):
        backup = file_backup.FileBackup.open(self.req.backup_root, handle)
        restored = backup.restore(locked_paths=(self.req.usersfile,), lock_timeout=self.req.lock_timeout)
        # Every file is back: the copy goes before the reload, so an sshd that cannot reload (killed,
        # say) leaves no stale backup behind; it reads the restored files when it starts.
        backup.discard()
        try:
            self.reload()
        except HostError as exc:
            raise HostError("every file was restored, but %s" % exc) from None
        return restored

    def discard(self, handle):
        file_backup.FileBackup.open(self.req.backup_root, handle).discard()

    def last_used(self):
        """Epoch seconds of each in-scope user's last accepted code (pam_oath's time field)."""
        users = OathUsersFile.read(self.req.usersfile)
        found = {}
        for user in self.req.users:
            entry = users.entry(user)
            found[user] = entry.last_used if entry else None
        return found


def _clean(text, stage, req):
    """sshd's message with the staging paths put back to the real ones."""
    text = (text or "").strip().replace(os.path.join(stage, "sshd_config.d"), req.dropin_dir)
    return text.replace(os.path.join(stage, "sshd_config"), req.sshd_config)
