# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's sshd behind password + one-time code: plan, check, apply, reload, roll back.

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

from ansible_collections.fleet2fa.nas.plugins.module_utils import file_backup, oath_users, pam_stack, sshd_config
from ansible_collections.fleet2fa.nas.plugins.module_utils.oath_users import OathUsersFile

STATE_FILE = "state.json"
SSHD_PATHS = ("/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd")


class HostError(Exception):
    """A clean failure: the message says what and where; the host is as it was."""


class RolledBack(HostError):
    """Applying failed after files were written; every file was restored from the backup."""


def _read(path):
    try:
        with open(path, "r", encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


class FileChange:
    """One file's text before and after; ``shown_*`` is what a diff may show."""

    def __init__(self, path, kind, before, after, shown_before=None, shown_after=None):
        self.path = path
        self.kind = kind
        self.before = before
        self.after = after
        self.shown_before = before if shown_before is None else shown_before
        self.shown_after = after if shown_after is None else shown_after

    @property
    def changed(self):
        return self.before != self.after


class SshdOtpHost:
    """The files of one host and what a request makes of them. ``run(argv)`` returns (rc, out, err)."""

    def __init__(self, request, run, sshd_path=None):
        self.req = request
        self.run = run
        self.sshd = sshd_path or next((p for p in SSHD_PATHS if os.path.exists(p)), None)
        if not self.sshd:
            raise HostError("no sshd binary found (looked in %s)" % ", ".join(SSHD_PATHS))
        _rc, out, err = self._sshd("-V")
        self.version = sshd_config.parse_version(err + out)
        self.state_path = os.path.join(request.backup_root, STATE_FILE)
        self.state = json.loads(_read(self.state_path) or "{}")
        self.notes = []
        self.users_added, self.users_updated, self.users_removed = [], [], []

    def _sshd(self, *args):
        return self.run([self.sshd] + list(args))

    # ---- plan ----------------------------------------------------------------------------

    def plan(self):
        """The FileChanges of this request, in the order they are written."""
        req = self.req
        present = req.state == "present"
        recorded = list(self.state.get("users", []))
        created = set(self.state.get("created", []))
        oath = OathUsersFile.read(req.usersfile)
        oath_before = oath.summary()
        oath_existed = os.path.exists(req.usersfile)
        self.users_added, self.users_updated, self.users_removed = [], [], []
        if present:
            for user in req.users:
                result = oath.set(user, req.keys[user])
                if result == "added":
                    self.users_added.append(user)
                elif result == "replaced":
                    self.users_updated.append(user)
            gone = [u for u in recorded if u not in req.users]
        else:
            gone = list(dict.fromkeys(recorded + req.users))
        for user in gone:
            if oath.remove(user):
                self.users_removed.append(user)
        if oath.lines:
            oath_after_text = oath.text()
        elif not oath_existed or (not present and req.usersfile in created):
            oath_after_text = None
        else:
            oath_after_text = ""
        oath_before_text = _read(req.usersfile)
        if oath_existed and not self.users_added and not self.users_updated and not self.users_removed and oath_after_text is not None:
            oath_after_text = oath_before_text  # untouched: pam_oath's rewrites are never a change
        oath_change = FileChange(
            req.usersfile, "oath", oath_before_text, oath_after_text,
            oath_before if oath_existed else None, oath.summary() if oath_after_text is not None else None,
        )

        pam_text = _read(req.pam_file)
        if pam_text is None:
            raise HostError("%s does not exist: this host's sshd PAM stack is not where expected" % req.pam_file)
        stack = pam_stack.SshdPamStack(pam_text)
        try:
            if present:
                stack.ensure(
                    pam_stack.oath_line(req.usersfile, req.window, req.digits, req.pam_module), req.pam_module
                )
            else:
                stack.remove(req.pam_module)
        except pam_stack.PamStackError as exc:
            raise HostError("%s: %s" % (req.pam_file, exc)) from None
        pam_change = FileChange(req.pam_file, "pam", pam_text, stack.text())

        main_text = _read(req.sshd_config)
        if main_text is None:
            raise HostError("%s does not exist" % req.sshd_config)
        main = sshd_config.SshdMainConfig(main_text)
        main_after = main.with_include(req.dropin_dir) if present else main.without_our_include(req.dropin_dir)
        main_change = FileChange(req.sshd_config, "sshd", main_text, main_after)
        self.dropin = sshd_config.SshdDropIn(req.users, req.automation_user, req.auth_mode, self.version, req.sshd_options)
        dropin_change = FileChange(req.dropin, "sshd", _read(req.dropin), self.dropin.render() if present else None)

        new_state = dict(self.state)
        new_state["users"] = list(req.users) if present else []
        if not oath_existed and oath_after_text is not None:
            created.add(req.usersfile)
        if present and not os.path.isdir(req.dropin_dir):
            created.add(req.dropin_dir)
        new_state["created"] = sorted(created) if present else []
        state_before = _read(self.state_path)
        state_after = json.dumps(new_state, sort_keys=True) + "\n" if present else None
        if present and state_before is not None and json.loads(state_before) == new_state:
            state_after = state_before
        state_change = FileChange(self.state_path, "state", state_before, state_after)
        self.dirs_to_create = [req.dropin_dir] if present and not os.path.isdir(req.dropin_dir) else []
        self.dirs_to_remove = [req.dropin_dir] if not present and req.dropin_dir in created else []

        if present:
            return [oath_change, pam_change, main_change, dropin_change, state_change]
        return [main_change, dropin_change, pam_change, oath_change, state_change]

    # ---- checks --------------------------------------------------------------------------

    def preflight(self, changes):
        req = self.req
        if req.state == "present":
            if not pam_stack.find_pam_module(req.pam_module):
                raise HostError(
                    "the PAM module %s is not installed on this host (install libpam-oath on Debian/Ubuntu, "
                    "pam_oath from EPEL on EL); nothing was changed" % req.pam_module
                )
            folder = os.path.dirname(req.usersfile)
            if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
                raise HostError(
                    "%s must be a writable folder: pam_oath rewrites %s there after every login" % (folder, req.usersfile)
                )
        self.check_sshd(changes)

    def check_sshd(self, changes):
        """sshd -t on the staged result, and sshd -T -C for each user in scope."""
        req = self.req
        if not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", mode=0o755)
        by_path = {c.path: c for c in changes}
        stage = tempfile.mkdtemp(prefix="fleet2fa-sshd-")
        try:
            staged_dir = os.path.join(stage, "sshd_config.d")
            os.mkdir(staged_dir)
            if os.path.isdir(req.dropin_dir):
                for name in os.listdir(req.dropin_dir):
                    src = os.path.join(req.dropin_dir, name)
                    if os.path.isfile(src) and src != req.dropin:
                        shutil.copy2(src, os.path.join(staged_dir, name))
            dropin_after = by_path[req.dropin].after
            if dropin_after is not None:
                with open(os.path.join(staged_dir, os.path.basename(req.dropin)), "w") as handle:
                    handle.write(dropin_after)
            main = sshd_config.SshdMainConfig(by_path[req.sshd_config].after)
            staged_main = os.path.join(stage, "sshd_config")
            with open(staged_main, "w") as handle:
                handle.write(main.staged(req.dropin_dir, staged_dir))
            rc, out, err = self._sshd("-t", "-f", staged_main)
            if rc != 0:
                raise HostError("sshd -t rejects the resulting configuration: %s" % _clean(err or out, stage, req))
            if req.state != "present":
                return
            for user in self.dropin.users_in_scope():
                spec = "user=%s,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=22" % user
                rc, out, err = self._sshd("-T", "-f", staged_main, "-C", spec)
                if rc != 0:
                    raise HostError("sshd -T -C user=%s fails: %s" % (user, _clean(err or out, stage, req)))
                wrong = sshd_config.mismatches(sshd_config.parse_sshd_t(out), self.dropin.expected(user))
                if wrong:
                    raise HostError(
                        "for user %s sshd would use other settings than ours (another file sets them first?): %s"
                        % (user, "; ".join(wrong))
                    )
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    # ---- apply ---------------------------------------------------------------------------

    def apply(self, changes):
        """Write what changed, after saving it; reload sshd. Returns the backup handle or None."""
        req = self.req
        changed = [c for c in changes if c.changed]
        if not changed:
            return None
        file_backup.prune(req.backup_root)
        backup = file_backup.FileBackup.create(req.backup_root)
        backup.save([c.path for c in changed], created_dirs=self.dirs_to_create)
        try:
            for folder in self.dirs_to_create:
                os.makedirs(folder, mode=0o755)
            sshd_touched = any(c.kind == "sshd" for c in changed)
            for change in changed:
                if req.state != "present" and change.kind == "pam" and sshd_touched:
                    # Out of the way: sshd drops keyboard-interactive for these users first.
                    self.reload()
                    sshd_touched = False
                self._write(change)
            for folder in self.dirs_to_remove:
                try:
                    os.rmdir(folder)
                except OSError:
                    pass
            if sshd_touched:
                rc, out, err = self._sshd("-t")
                if rc != 0:
                    raise HostError("sshd -t rejects the written configuration: %s" % (err or out).strip())
                self.reload()
        except Exception as exc:
            backup.restore(locked_paths=(req.usersfile,), lock_timeout=req.lock_timeout)
            if any(c.kind == "sshd" for c in changed):
                self.reload(quiet=True)
            backup.discard()
            if isinstance(exc, HostError):
                raise RolledBack("%s; every file was restored" % exc) from None
            raise RolledBack("applying failed (%s); every file was restored" % type(exc).__name__) from None
        return backup.folder

    def _write(self, change):
        req = self.req
        if change.kind == "oath":
            oath_users.update_users_file(req.usersfile, self._oath_edit, timeout=req.lock_timeout)
        elif change.after is None:
            if os.path.exists(change.path):
                os.unlink(change.path)
        else:
            if change.kind == "state":
                os.makedirs(os.path.dirname(change.path), mode=0o700, exist_ok=True)
            st = os.stat(change.path) if os.path.exists(change.path) else None
            mode = st.st_mode & 0o7777 if st else (0o600 if change.kind == "state" else 0o644)
            oath_users.write_atomically(change.path, change.after, mode, st.st_uid if st else 0, st.st_gid if st else 0)
        if change.kind == "state" and change.after is None:
            try:
                os.rmdir(os.path.dirname(change.path))
            except OSError:
                pass

    def _oath_edit(self, current):
        """The same edit as the plan, on the file as it is under the lock."""
        req = self.req
        if req.state == "present":
            for user in req.users:
                current.set(user, req.keys[user])
        for user in self.users_removed:
            current.remove(user)
        if not current.lines:
            if not os.path.exists(req.usersfile):
                return None
            if req.state != "present" and req.usersfile in self.state.get("created", []):
                return None
        return current.text()

    def service_unit(self):
        for unit in ("ssh.service", "sshd.service"):
            rc, out, _err = self.run(["systemctl", "show", "-p", "LoadState", "--value", unit])
            if rc == 0 and out.strip() == "loaded":
                return unit
        raise HostError("neither ssh.service nor sshd.service is known to systemctl on this host")

    def reload(self, quiet=False):
        verb = "restart" if self.req.sshd_apply == "restart" else "reload"
        unit = self.service_unit()
        rc, out, err = self.run(["systemctl", verb, unit])
        if rc != 0 and not quiet:
            raise HostError("systemctl %s %s failed: %s" % (verb, unit, (err or out).strip()))

    def restore(self, handle):
        backup = file_backup.FileBackup.open(self.req.backup_root, handle)
        restored = backup.restore(locked_paths=(self.req.usersfile,), lock_timeout=self.req.lock_timeout)
        self.reload()
        backup.discard()
        return restored

    def discard(self, handle):
        file_backup.FileBackup.open(self.req.backup_root, handle).discard()

    def last_used(self):
        """Epoch seconds of each in-scope user's last accepted code (pam_oath's time field)."""
        oath = OathUsersFile.read(self.req.usersfile)
        found = {}
        for user in self.req.users:
            entry = oath.entry(user)
            found[user] = entry.last_used if entry else None
        return found


def _clean(text, stage, req):
    """sshd's message with the staging paths put back to the real ones."""
    text = (text or "").strip().replace(os.path.join(stage, "sshd_config.d"), req.dropin_dir)
    return text.replace(os.path.join(stage, "sshd_config"), req.sshd_config)
