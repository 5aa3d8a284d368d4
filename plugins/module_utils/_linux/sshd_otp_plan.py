# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an sshd_otp request makes of a host's files: a ``Plan``, from one small planner a file.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The planners read the files and change nothing. ``SshdOtpHost`` (sshd_otp_host.py) checks a plan
and applies it; nothing of the plan is kept anywhere else, so a check or an apply works on exactly
the plan it is given.
"""

from __future__ import annotations

import enum
import json
import os

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import layout, oath_users, pam_stack, sshd_config
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.files import read_text
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.oath_users import OathUsersFile


class HostError(Fleet2faError):
    """A clean failure of sshd_otp: the message says what and where; the host is as it was."""


class ChangeKind(enum.Enum):
    """What a changed file is, which decides how it is written and whether sshd must reload."""

    USERS_FILE = "users file"
    PAM = "pam"
    SSHD = "sshd"
    STATE = "state"


class FileChange:
    """One file's text before and after; ``shown_*`` is what a diff may show."""

    def __init__(self, path, kind, before, after, shown_before=None, shown_after=None, mode_fix=None):
        self.path = path
        # What is wrong with the file's mode or owner when only they change ("mode 0644"), else None.
        self.mode_fix = mode_fix
        self.kind = kind
        self.before = before
        self.after = after
        self.shown_before = before if shown_before is None else shown_before
        self.shown_after = after if shown_after is None else shown_after

    @property
    def changed(self):
        return self.before != self.after or self.mode_fix is not None


class Plan:
    """The changes of one request, in the order they are written, and what comes with them."""

    def __init__(self, changes, dropin, users_added=(), users_updated=(), users_removed=(), dirs_to_create=(),
                 dirs_to_remove=(), created_before=()):
        self.changes = list(changes)
        self.dropin = dropin
        # What the module had created in earlier runs (its state file), which state=absent removes again.
        self.created_before = list(created_before)
        self.users_added = list(users_added)
        self.users_updated = list(users_updated)
        self.users_removed = list(users_removed)
        self.dirs_to_create = list(dirs_to_create)
        self.dirs_to_remove = list(dirs_to_remove)

    def __iter__(self):
        return iter(self.changes)

    @property
    def changed(self):
        return [change for change in self.changes if change.changed]

    @property
    def notes(self):
        """One line for the result about each file whose mode or owner is put right."""
        return ["%s had %s; it is set to %04o, owner root" % (c.path, c.mode_fix, oath_users.MODE)
                for c in self.changes if c.mode_fix and c.after is not None]

    def touches(self, kind):
        return any(change.kind is kind for change in self.changed)

    def after(self, path):
        """The text ``path`` has once the plan is applied (None: the file goes)."""
        return next(change.after for change in self.changes if change.path == path)


# ---- the users file ---------------------------------------------------------------------------

def edit_users_file(users, req, gone):
    """Apply the request to a parsed users file: its users get their keys, ``gone`` users go.

    Returns (added, updated, removed). The plan calls it on the file as read; the apply calls it again
    on the file as it is under pam_oath's lock, so that a login's rewrite in between is kept.
    """
    added, updated, removed = [], [], []
    if req.state == "present":
        for user in req.users:
            outcome = users.set(user, req.keys[user])
            if outcome == "added":
                added.append(user)
            elif outcome == "replaced":
                updated.append(user)
    for user in gone:
        if users.remove(user):
            removed.append(user)
    return added, updated, removed


def users_file_text(users, req, existed, created):
    """The text to write, or None when the file goes (or never was): what the module created, it removes."""
    if users.lines:
        return users.text()
    if not existed or (req.state != "present" and req.usersfile in created):
        return None
    return ""


def plan_users_file(req, recorded, created):
    """(FileChange, added, updated, removed, the users that go) for the pam_oath users file."""
    users = OathUsersFile.read(req.usersfile)
    shown_before = users.summary()
    existed = os.path.exists(req.usersfile)
    if req.state == "present":
        gone = [user for user in recorded if user not in req.users]
    else:
        gone = list(dict.fromkeys(recorded + req.users))
    added, updated, removed = edit_users_file(users, req, gone)
    after = users_file_text(users, req, existed, created)
    before = read_text(req.usersfile)
    if existed and not (added or updated or removed) and after is not None:
        after = before  # untouched: pam_oath's rewrites are never a change
    # A users file readable by others (an admin's chmod) is set to 0600 root again, and the diff says so.
    mode_fix = oath_users.mode_problem(req.usersfile) if after is not None else None
    shown_after = users.summary() if after is not None else None
    if mode_fix:
        shown_before += "# %s\n" % mode_fix
        shown_after += "# mode %04o, owner root\n" % oath_users.MODE
    change = FileChange(req.usersfile, ChangeKind.USERS_FILE, before, after, shown_before if existed else None,
                        shown_after, mode_fix=mode_fix)
    return change, added, updated, removed


# ---- PAM and sshd -----------------------------------------------------------------------------

def plan_pam(req):
    """The FileChange of the sshd PAM stack: one pam_oath line right after the password step, or none."""
    text = read_text(req.pam_file)
    if text is None:
        raise HostError("%s does not exist: this host's sshd PAM stack is not where expected" % req.pam_file)
    stack = pam_stack.SshdPamStack(text)
    try:
        if req.state == "present":
            rate_limit = rate_limit_of(req)
            control = "requisite" if rate_limit else "required"
            stack.ensure(pam_stack.oath_line(req.usersfile, req.window, req.digits, req.pam_module, control),
                         req.pam_module)
            if rate_limit:
                stack.ensure_rate_limit(rate_limit, req.pam_module)
            else:
                stack.remove_rate_limit()
        else:
            stack.remove(req.pam_module)
    except pam_stack.PamStackError as exc:
        raise HostError("%s: %s" % (req.pam_file, exc)) from None
    return FileChange(req.pam_file, ChangeKind.PAM, text, stack.text())


def rate_limit_of(req):
    """The pam_faillock lines around the code step (pam_stack.py), or None when the request turns them off
    (rate_limit_deny 0). A host without pam_faillock keeps no counter (the report's rate-limit-missing
    finding says so)."""
    if req.rate_limit is None or not layout.find_pam_module(pam_stack.FAILLOCK_MODULE):
        return None
    return pam_stack.faillock_lines(**req.rate_limit)


def refuse_shadowed_options(req, main):
    """HostError for an sshd_options keyword that sshd reads first elsewhere: ours would be written and ignored.

    sshd keeps the first value it reads: what the main file sets before the Include of the drop-in folder,
    and what a drop-in that sorts before ours sets, win over the drop-in.
    """
    if not req.sshd_options:
        return
    sources = [(req.sshd_config, main.keywords_before_include(req.dropin))]
    if os.path.isdir(req.dropin_dir):
        ours = os.path.basename(req.dropin)
        for name in sorted(os.listdir(req.dropin_dir)):
            path = os.path.join(req.dropin_dir, name)
            if name.endswith(".conf") and name < ours and os.path.isfile(path):
                sources.append((path, sshd_config.global_keywords((read_text(path, errors="replace") or "").splitlines())))
    for key in req.sshd_options:
        for path, keywords in sources:
            if key.lower() in keywords:
                raise HostError(
                    "sshd_options: %s is already set on line %d of %s, which sshd reads before the drop-in and whose "
                    "value it keeps, so this one would be ignored; set it there instead. Nothing was changed"
                    % (key, keywords[key.lower()], path))


def plan_sshd(req, version):
    """(the main config's FileChange, the drop-in's FileChange, the SshdDropIn)."""
    present = req.state == "present"
    main_text = read_text(req.sshd_config)
    if main_text is None:
        raise HostError("%s does not exist" % req.sshd_config)
    main = sshd_config.SshdMainConfig(main_text)
    main_after = main.with_include(req.dropin_dir) if present else main.without_our_include(req.dropin_dir)
    if present:
        refuse_shadowed_options(req, sshd_config.SshdMainConfig(main_after))
    dropin = sshd_config.SshdDropIn(req.users, req.automation_user, req.auth_mode, version, req.sshd_options)
    return (FileChange(req.sshd_config, ChangeKind.SSHD, main_text, main_after),
            FileChange(req.dropin, ChangeKind.SSHD, read_text(req.dropin), dropin.render() if present else None),
            dropin)


# ---- the module's own state -------------------------------------------------------------------

def plan_state(req, state, state_path, created):
    """The FileChange of the module's state file: which users it manages and what it created."""
    present = req.state == "present"
    new_state = dict(state, users=list(req.users) if present else [], created=sorted(created) if present else [])
    before = read_text(state_path)
    after = json.dumps(new_state, sort_keys=True) + "\n" if present else None
    if present and before is not None and json.loads(before) == new_state:
        after = before
    return FileChange(state_path, ChangeKind.STATE, before, after)


def plan(req, state, state_path, version):
    """The whole Plan of a request; ``state`` is the module's state file as read."""
    present = req.state == "present"
    created_before = list(state.get("created", []))
    created = set(created_before)
    users_change, added, updated, removed = plan_users_file(req, list(state.get("users", [])), created)
    pam_change = plan_pam(req)
    main_change, dropin_change, dropin = plan_sshd(req, version)
    if not os.path.exists(req.usersfile) and users_change.after is not None:
        created.add(req.usersfile)
    new_dropin_dir = present and not os.path.isdir(req.dropin_dir)
    if new_dropin_dir:
        created.add(req.dropin_dir)
    state_change = plan_state(req, state, state_path, created)
    if present:
        changes = [users_change, pam_change, main_change, dropin_change, state_change]
    else:
        # On the way out sshd stops asking first: the PAM line and the users go last.
        changes = [main_change, dropin_change, pam_change, users_change, state_change]
    return Plan(changes, dropin, added, updated, removed,
                dirs_to_create=[req.dropin_dir] if new_dropin_dir else [],
                dirs_to_remove=[req.dropin_dir] if not present and req.dropin_dir in created else [],
                created_before=created_before)
