# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ways around the code on one Linux host, read-only: the facts the report's findings need.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

What is read: the sshd PAM stack's auth lines (one level of ``@include``/``include``/``substack``
expanded, the way the password step of layout.py reaches common-auth), the users file's mode and the
pam_oath window, per user in scope (the users of the users file) what ``sshd -T -C user=...`` says,
the same for every Match block of sshd's files that sets an authentication keyword (with a
connection spec made to match it), whether the account's password is empty (a yes/no from
/etc/shadow, never the hash) and the authorized_keys entries (key type and SHA256 fingerprint: public
keys only). Which of those is a finding, and how bad, is the controller's call (plugin_utils/_findings.py).
"""

from __future__ import annotations

import base64
import fnmatch
import glob
import hashlib
import ipaddress
import os
import pwd
import stat
import time

from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import sshd_config
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.files import read_text

PAM_DIR = "/etc/pam.d"
SHADOW = "/etc/shadow"
# sshd -T keywords that decide whether a login reaches the code; only these leave the host.
AUTH_KEYWORDS = ("usepam", "passwordauthentication", "kbdinteractiveauthentication",
                 "challengeresponseauthentication", "authenticationmethods", "permitrootlogin",
                 "pubkeyauthentication", "authorizedkeysfile", "hostbasedauthentication", "gssapiauthentication")
# Match blocks that set one of these may change how a user gets in (UsePAM is not allowed in Match).
MATCH_KEYWORDS = AUTH_KEYWORDS[1:]
# Methods that never run the PAM auth stack: (AuthenticationMethods name, sshd -T keyword, shown as).
GAP_METHODS = (("hostbased", "hostbasedauthentication", "HostbasedAuthentication"),
               ("gssapi-with-mic", "gssapiauthentication", "GSSAPIAuthentication"))
INCLUDE_CONTROLS = ("include", "substack")
KEY_TYPES = ("ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-")


def _pam_fields(line):
    """(control, module, args) of an ``auth`` line, or None."""
    text = line.split("#", 1)[0].strip()
    if text.startswith("@include"):
        return "@include", text.split()[1] if len(text.split()) > 1 else "", []
    words = text.split()
    if len(words) < 3 or words[0].lstrip("-") != "auth":
        return None
    rest = text.split(None, 1)[1]
    if rest.startswith("["):
        control, _sep, rest = rest[1:].partition("]")
        control = "[%s]" % " ".join(control.split())
        words = rest.split()
    else:
        control, words = words[1], words[2:]
    return (control, words[0], words[1:]) if words else None


def pam_auth_lines(text, name="sshd", pam_dir=PAM_DIR, depth=0):
    """The auth lines of a PAM service file, includes expanded: [{file, control, module, args}]."""
    found = []
    for line in (text or "").splitlines():
        fields = _pam_fields(line)
        if fields is None:
            continue
        control, module, args = fields
        if control == "@include" or control in INCLUDE_CONTROLS:
            if depth < 2:
                included = read_text(os.path.join(pam_dir, module), errors="replace")
                found.extend(pam_auth_lines(included, module, pam_dir, depth + 1))
            continue
        found.append({"file": name, "control": control, "module": os.path.basename(module), "args": args})
    return found


def is_oath(module):
    return module == "pam_oath.so"


def file_facts(path):
    """Mode and owner of a file, or None when it is not there."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return {"path": path, "mode": "%04o" % stat.S_IMODE(info.st_mode), "uid": info.st_uid,
            "readable_by_others": bool(info.st_mode & (stat.S_IRGRP | stat.S_IROTH))}


def oath_window(auth_lines):
    for line in auth_lines:
        if is_oath(line["module"]):
            for arg in line["args"]:
                if arg.startswith("window="):
                    try:
                        return int(arg.split("=", 1)[1])
                    except ValueError:
                        return None
            return 5  # pam_oath's built-in default (pam_oath.c: cfg->window = 5)
    return None


def empty_passwords(users, shadow=SHADOW):
    """{user: True when /etc/shadow gives the account an empty password}; only a yes/no leaves this."""
    wanted = set(users)
    found = {}
    for line in (read_text(shadow, errors="replace") or "").splitlines():
        name, _sep, rest = line.partition(":")
        if name in wanted:
            found[name] = rest.split(":", 1)[0] == ""
    return found


def _alone(effective, method):
    """Whether AuthenticationMethods lets ``method`` in by itself."""
    return any(methods in ("any", method) for methods in (effective.get("authenticationmethods") or "any").split())


def code_gaps(effective, user):
    """Ways in past the code for ``user`` that ``sshd -T`` allows ([] when there are none).

    With UsePAM yes a password login runs the PAM stack (a password typed to the password method
    is offered to pam_oath too, and fails there), so only sshd settings that skip PAM count here.
    A key alone is an authorized_keys question (``key_alone``).
    """
    del user  # every gap below holds for any account; PermitRootLogin only narrows the ways in
    gaps = []
    if effective.get("usepam") != "yes":
        gaps.append("UsePAM %s" % effective.get("usepam"))
    for method, keyword, name in GAP_METHODS:
        if effective.get(keyword) == "yes" and _alone(effective, method):
            gaps.append("%s yes" % name)
    return gaps


def key_alone(effective):
    """Whether sshd lets a key in without anything else."""
    return effective.get("pubkeyauthentication") == "yes" and _alone(effective, "publickey")


def _key_files(effective, account):
    names = (effective.get("authorizedkeysfile") or ".ssh/authorized_keys").split()
    files = []
    for name in names:
        name = name.replace("%%", "\0").replace("%h", account.pw_dir).replace("%u", account.pw_name)
        name = name.replace("%U", str(account.pw_uid)).replace("\0", "%")
        files.append(name if os.path.isabs(name) else os.path.join(account.pw_dir, name))
    return files


def authorized_keys(effective, user):
    """[{file, type, fingerprint}] of the user's authorized keys (public keys: no secret)."""
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return []
    keys = []
    for path in _key_files(effective, account):
        for line in (read_text(path, errors="replace") or "").splitlines():
            words = line.split()
            # Options come first when the line has any; the key type is the first word that looks like one.
            for index, word in enumerate(words[:-1]):
                if word.startswith(KEY_TYPES):
                    try:
                        blob = base64.b64decode(words[index + 1], validate=True)
                    except ValueError:
                        break
                    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
                    keys.append({"file": path, "type": word, "fingerprint": "SHA256:" + digest})
                    break
    return keys


def sshd_files(main_path):
    """sshd's config files in the order it reads them: the main file and what its Include lines name."""
    files = [main_path]
    for line in (read_text(main_path, errors="replace") or "").splitlines():
        words = line.split("#", 1)[0].split()
        if words and words[0].lower() == "include":
            for pattern in words[1:]:
                pattern = pattern if os.path.isabs(pattern) else os.path.join(os.path.dirname(main_path), pattern)
                files.extend(sorted(glob.glob(pattern)))
    return files


def match_blocks(files, skip=()):
    """[{file, match, criteria}] of the Match blocks that set an authentication keyword."""
    blocks = []
    for path in files:
        if path in skip:
            continue
        current = None
        for line in (read_text(path, errors="replace") or "").splitlines():
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0].lower() == "match":
                current = {"file": path, "match": " ".join(words[1:]), "criteria": words[1:], "auth": False}
                blocks.append(current)
            elif current is not None and words[0].lower() in MATCH_KEYWORDS:
                current["auth"] = True
    return [{k: b[k] for k in ("file", "match", "criteria")} for b in blocks if b["auth"]]


def _example(pattern, kind):
    """A value that matches the first positive pattern of a Match criterion, or None."""
    first = next((p for p in pattern.split(",") if not p.startswith("!")), None)
    if first is None:
        return None
    if kind == "addr":
        try:
            network = ipaddress.ip_network(first, strict=False)
        except ValueError:
            return None if any(c in first for c in "*?") else first
        return str(next(network.hosts(), network.network_address))
    return first.replace("*", "x").replace("?", "x")


def match_spec(criteria, user):
    """The ``sshd -T -C`` spec a connection of ``user`` that hits this Match would have, or None."""
    spec = dict(user=user, host="localhost", addr="127.0.0.1", laddr="127.0.0.1", lport="22")
    keys = {"address": "addr", "host": "host", "localaddress": "laddr", "localport": "lport", "user": "user"}
    pairs = list(zip(criteria[::2], criteria[1::2]))
    for name, pattern in pairs:
        key = keys.get(name.lower())
        if name.lower() == "user":
            wanted = [p for p in pattern.split(",") if not p.startswith("!")]
            if not any(fnmatch.fnmatch(user, p) for p in wanted):
                return None
        elif key:
            value = _example(pattern, "addr" if key in ("addr", "laddr") else key)
            if value is None:
                return None
            spec[key] = value
        elif name.lower() not in ("group",):
            return None
    return ",".join("%s=%s" % (k, v) for k, v in spec.items())


def sshd_t(run, sshd, spec):
    rc, out, _err = run([sshd, "-T", "-C", spec])
    return {k: v for k, v in sshd_config.parse_sshd_t(out).items() if k in AUTH_KEYWORDS} if rc == 0 else None


def linux_posture(paths, usersfile, pam_text, users, effective, run, sshd):
    """The facts, for ``users`` (the users file's) given their default ``sshd -T`` (``effective``)."""
    auth_lines = pam_auth_lines(pam_text)
    blocks = match_blocks(sshd_files(paths["sshd_config"]), skip=(paths["dropin"],)) if sshd else []
    empty = empty_passwords(users)
    per_user = {}
    for user in users:
        seen = effective.get(user)
        if seen is None:
            continue
        seen = {k: v for k, v in seen.items() if k in AUTH_KEYWORDS}
        variants = []
        for block in blocks:
            spec = match_spec(block["criteria"], user)
            got = sshd_t(run, sshd, spec) if spec else None
            if got is not None:
                variants.append({"match": block["match"], "file": block["file"], "code_gaps": code_gaps(got, user),
                                 "key_alone": key_alone(got)})
        per_user[user] = {
            "sshd": seen,
            "code_gaps": code_gaps(seen, user),
            "key_alone": key_alone(seen),
            "empty_password": empty.get(user, False),
            "authorized_keys": authorized_keys(seen, user),
            "match": variants,
        }
    return {
        "host_time": time.time(),
        "pam_auth": auth_lines,
        "oath_window": oath_window(auth_lines),
        "usersfile": file_facts(usersfile),
        # The account sshd_otp keeps key-only by default (the one the module runs as): keys are its way in.
        "automation_user": pwd.getpwuid(os.getuid()).pw_name,
        "users": per_user,
    }
