# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bypass and weakness findings: every way around the code the report can see, with its severity and fix.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

``RULES`` is the one home of each kind of finding: its stable id (CI gates on it), severity, title and
fix. The checks below read what otp_state_info gathered on the host (its ``posture``, see
module_utils/_linux/posture.py and _truenas/state.py) and the report's own host record (the escrow
side), and say which rules fire for which user. A finding holds names, settings and counts, never a
secret, a code or a password (the report's SecretGuard checks the files anyway).
"""

from __future__ import annotations

import collections
import os
import stat

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux import pam_stack

SEVERITIES = ("low", "medium", "high")
Rule = collections.namedtuple("Rule", "id severity title fix")

RULES = {rule.id: rule for rule in (
    # Linux: the PAM stack
    Rule("pam-oath-missing", "high", "the sshd PAM stack has no pam_oath line: no code is asked",
         "run rollout.yml (sshd_otp puts pam_oath right after the password step)"),
    Rule("pam-oath-sufficient", "high", "pam_oath is 'sufficient': a failed code does not stop the login",
         "make it 'auth required pam_oath.so ...' (rollout.yml rewrites the line)"),
    Rule("pam-oath-optional", "high", "pam_oath's control lets a failed code through",
         "make it 'auth required pam_oath.so ...' (rollout.yml rewrites the line)"),
    Rule("pam-oath-user-unknown-ignore", "high", "pam_oath ignores unknown users: a user missing from users.oath "
         "gets in without a code", "drop user_unknown=ignore; use 'required' (rollout.yml rewrites the line)"),
    Rule("pam-auth-sufficient-before-oath", "high", "an auth line before pam_oath can let the login in by itself",
         "remove that line or make it required, so that every login reaches pam_oath"),
    Rule("pam-nullok", "high", "nullok in the password step, and the account has an empty password",
         "give the account a password (passwd) or drop nullok from the password step"),
    # Linux: sshd
    Rule("sshd-code-skipped", "high", "sshd lets a password login in without the code",
         "run rollout.yml (the sshd_otp drop-in sets UsePAM, AuthenticationMethods and PasswordAuthentication)"),
    Rule("sshd-match-exempt", "high", "a Match block exempts the user from the code",
         "remove the authentication settings from that Match block, or scope it away from people"),
    Rule("authorized-key-human", "medium", "a person's authorized key logs in without the code",
         "remove the key, use auth_mode key_and_otp, or list the user in fleet2fa_report_accepted_key_users"),
    Rule("rate-limit-missing", "medium", "nothing stops a script from trying code after code (no pam_faillock, or "
         "deny above %d)" % pam_stack.MAX_DENY, "run rollout.yml (sshd_otp adds pam_faillock around the code step)"),
    Rule("users-oath-readable", "high", "the pam_oath users file is readable by other accounts (it holds the secrets)",
         "chmod 0600 and chown root the users file"),
    Rule("clock-skew", "medium", "the host's clock is near the edge of the code window",
         "sync the clock (chrony or systemd-timesyncd)"),
    # Both platforms
    Rule("window-wide", "low", "the code window accepts codes of more time steps than the policy allows",
         "lower the window (fleet2fa_otp_window, fleet2fa_truenas_window) and run rollout.yml"),
    # TrueNAS
    Rule("truenas-2fa-off", "high", "the box does not ask for two-factor authentication at all",
         "run rollout.yml (truenas_2fa enabled: true)"),
    Rule("truenas-ssh-2fa-off", "high", "2FA is enabled, but SSH logins are not asked for the code",
         "run rollout.yml (truenas_2fa ssh: true, after the web login is proven)"),
    Rule("truenas-password-ssh-no-secret", "high", "the user may log in over SSH with a password and has no 2FA secret",
         "give the user a secret (rollout.yml) or disable SSH password login for the user"),
    Rule("truenas-api-key", "medium", "an API key exists: it logs in to the middleware without a code",
         "revoke keys that are not needed (Credentials > API keys); keep the rest in a vault"),
    Rule("truenas-http", "medium", "the web UI and API answer over plain HTTP (no redirect to HTTPS)",
         "enable the web interface's HTTP -> HTTPS redirect (system.general ui_httpsredirect)"),
    Rule("truenas-no-lockout", "low", "nothing on the box locks an account after failed codes (TrueNAS adds a lockout "
         "only in STIG mode)", "keep SSH and the web UI off untrusted networks; on 25.04 and later STIG mode adds one "
         "(System > Advanced > Security)"),
    Rule("truenas-root-password-login", "medium", "root may still log in over SSH with a password where named "
         "admins exist", "disable SSH password login for root; admins log in by name"),
    # Controller: the escrow
    Rule("escrow-fingerprint-mismatch", "high", "the host's secret is not the escrowed one: break-glass codes fail",
         "rotate the user's secret (rotate.yml) so that host and escrow agree"),
    Rule("secret-not-escrowed", "medium", "the host holds a secret of the user that the escrow does not",
         "rotate the user's secret (rotate.yml), which escrows the new one"),
    Rule("devices-below-two", "medium", "fewer than two verified devices hold the user's secret",
         "enroll a backup device (handout.yml, totp_enrollment)"),
    Rule("secret-old", "low", "the secret is older than the policy age", "rotate it (rotate.yml)"),
    Rule("escrow-readable", "high", "the escrow file or its folder is open to other accounts of the controller",
         "chmod 0700 the escrow folder and 0600 its files"),
)}

DEFAULT_POLICY = {"max_window": 3, "max_secret_age_days": 365, "accepted_key_users": (), "min_devices": 2}
# Codes are 30 s steps; a clock this close to the edge of the window (in steps) gets a finding.
STEP_SECONDS = 30
SKEW_SHARE = 0.5


class FindingsError(Fleet2faError):
    """A findings option is wrong; the message names it."""


def finding(rule_id, host, user=None, detail=None):
    rule = RULES[rule_id]
    return {"id": rule.id, "host": host, "user": user, "severity": rule.severity, "title": rule.title,
            "fix": rule.fix, "detail": detail}


def _pam_findings(host, posture, users):
    lines = posture.get("pam_auth") or []
    oath = [i for i, line in enumerate(lines) if line["module"] == "pam_oath.so"]
    found = []
    if users and not oath:
        return [finding("pam-oath-missing", host)]
    for index in oath:
        control = lines[index]["control"]
        if control == "sufficient":
            found.append(finding("pam-oath-sufficient", host, detail=control))
        elif "user_unknown=ignore" in control:
            found.append(finding("pam-oath-user-unknown-ignore", host, detail=control))
        elif control not in ("required", "requisite"):
            found.append(finding("pam-oath-optional", host, detail=control))
    for line in lines[:oath[0]] if oath else ():
        control = line["control"]
        if line["module"] != "pam_deny.so" and (control == "sufficient" or "success=done" in control):
            found.append(finding("pam-auth-sufficient-before-oath", host,
                                 detail="%s: auth %s %s" % (line["file"], control, line["module"])))
    if oath:
        found.extend(_rate_limit(host, lines))
    nullok = any("nullok" in line["args"] for line in lines[:oath[0] if oath else len(lines)])
    for user, facts in sorted((posture.get("users") or {}).items()):
        if nullok and facts.get("empty_password"):
            found.append(finding("pam-nullok", host, user))
    return found


def _faillock_guard(lines):
    """The pam_faillock preauth line before the first pam_oath line, and its numeric arguments."""
    oath = [i for i, line in enumerate(lines) if line["module"] == "pam_oath.so"]
    if not oath:
        return None, {}
    guards = [line for line in lines[:oath[0]] if line["module"] == pam_stack.FAILLOCK_MODULE and "preauth" in line["args"]]
    if not guards:
        return None, {}
    numbers = {}
    for arg in guards[0]["args"]:
        name, _sep, value = arg.partition("=")
        if name in ("deny", "unlock_time") and value.isdigit():
            numbers[name] = int(value)
    return guards[0], numbers


def _rate_limit(host, lines):
    """NIST SP 800-63B: at most 100 consecutive failures; a preauth pam_faillock line must guard the code step."""
    guard, numbers = _faillock_guard(lines)
    if guard is None:
        return [finding("rate-limit-missing", host, detail="no pam_faillock preauth line before pam_oath")]
    deny = numbers.get("deny")
    if deny is not None and (deny == 0 or deny > pam_stack.MAX_DENY):
        return [finding("rate-limit-missing", host, detail="pam_faillock deny=%d" % deny)]
    return []


def failure_limit(state):
    """What stops code after code on a host, for the report: ``{by, deny, unlock_time, otp_tries_per_login}``.

    ``by`` is None where nothing locks the account. ``deny`` and ``unlock_time`` are None where the
    host does not say (pam_faillock then takes /etc/security/faillock.conf; TrueNAS 26 keeps them in
    pam_truenas). None for a host whose state was not read.
    """
    if not state:
        return None
    posture = state.get("posture") or {}
    if state.get("platform") == "linux":
        guard, numbers = _faillock_guard(posture.get("pam_auth") or [])
        return {"by": pam_stack.FAILLOCK_MODULE.replace(".so", "") if guard else None,
                "deny": numbers.get("deny"), "unlock_time": numbers.get("unlock_time"), "otp_tries_per_login": None}
    if state.get("platform") == "truenas":
        limits = posture.get("limits") or {}
        lockout = limits.get("lockout") or {}
        return {"by": lockout.get("by"), "deny": lockout.get("deny"), "unlock_time": lockout.get("unlock_time"),
                "otp_tries_per_login": limits.get("otp_tries_per_login")}
    return None


def _linux_findings(host, state, policy, now):
    posture = state.get("posture") or {}
    users = posture.get("users") or {}
    found = _pam_findings(host, posture, [u["user"] for u in state.get("users") or []])
    accepted = set(policy["accepted_key_users"]) | {posture.get("automation_user")}
    for user, facts in sorted(users.items()):
        if facts["code_gaps"]:
            found.append(finding("sshd-code-skipped", host, user, ", ".join(facts["code_gaps"])))
        for variant in facts.get("match") or []:
            lost = [gap for gap in variant["code_gaps"] if gap not in facts["code_gaps"]]
            keys_now = variant["key_alone"] and not facts["key_alone"] and facts["authorized_keys"]
            if lost or keys_now:
                found.append(finding("sshd-match-exempt", host, user, "Match %s (%s): %s" % (
                    variant["match"], variant["file"], ", ".join(lost) or "a key alone")))
        if facts["key_alone"] and facts["authorized_keys"] and user not in accepted:
            found.append(finding("authorized-key-human", host, user, "%d key(s): %s" % (
                len(facts["authorized_keys"]), ", ".join(k["fingerprint"] for k in facts["authorized_keys"]))))
    window = posture.get("oath_window")
    if users and window is not None and window > policy["max_window"]:
        found.append(finding("window-wide", host, detail="pam_oath window=%d (policy %d)" % (window, policy["max_window"])))
    usersfile = posture.get("usersfile")
    if usersfile and (usersfile["readable_by_others"] or usersfile["uid"] != 0):
        found.append(finding("users-oath-readable", host, detail="%s mode %s uid %d" % (
            usersfile["path"], usersfile["mode"], usersfile["uid"])))
    found.extend(_clock(host, posture, window if window is not None else 1, now))
    return found


def _clock(host, posture, window, now):
    if posture.get("host_time") is None or now is None:
        return []
    skew = abs(posture["host_time"] - now.timestamp())
    limit = max(window, 1) * STEP_SECONDS * SKEW_SHARE
    if skew >= limit:
        return [finding("clock-skew", host, detail="%d s off the controller's clock (limit %d s)" % (skew, limit))]
    return []


def _truenas_findings(host, state, policy, now):
    posture = state.get("posture") or {}
    config = state.get("twofactor") or {}
    found = []
    if not config.get("enabled"):
        found.append(finding("truenas-2fa-off", host))
    elif not config.get("ssh"):
        found.append(finding("truenas-ssh-2fa-off", host))
    for row in state.get("users") or []:
        if row.get("ssh_password_login") and not row.get("twofactor_configured"):
            found.append(finding("truenas-password-ssh-no-secret", host, row["user"]))
    for key in posture.get("api_keys") or []:
        owner = "" if key.get("owner") else ", not tied to a user"
        found.append(finding("truenas-api-key", host, key.get("owner"),
                             "key %s (id %s)%s" % (key.get("name"), key.get("id"), owner)))
    if config.get("enabled") and (config.get("window") or 0) > policy["max_window"]:
        found.append(finding("window-wide", host, detail="window %d (policy %d)" % (config["window"], policy["max_window"])))
    if posture.get("https_redirect") is False:
        found.append(finding("truenas-http", host))
    limits = posture.get("limits")
    if config.get("enabled") and limits is not None and limits.get("stig") is False:
        tries = limits.get("otp_tries_per_login")
        found.append(finding("truenas-no-lockout", host, detail="%s; STIG mode is not on" % (
            "%d codes a login, then a new login" % tries if tries else "no count of codes in the middleware")))
    root = next((r for r in state.get("users") or [] if r["user"] == "root"), None)
    if root and root.get("ssh_password_login") and posture.get("admins"):
        found.append(finding("truenas-root-password-login", host, "root", "admins: %s" % ", ".join(posture["admins"])))
    found.extend(_clock(host, posture, config.get("window") or 1, now))
    return found


def _escrow_findings(record, policy, store):
    host = record["host"]
    found = []
    for row in record["users"]:
        if not row["escrowed"]:
            if row.get("two_factor") and row.get("host_fingerprint"):
                found.append(finding("secret-not-escrowed", host, row["user"]))
            continue
        if row["fingerprint_match"] is False:
            found.append(finding("escrow-fingerprint-mismatch", host, row["user"]))
        if row["verified_devices"] < policy["min_devices"]:
            found.append(finding("devices-below-two", host, row["user"], "%d verified" % row["verified_devices"]))
        if row["age_days"] is not None and row["age_days"] > policy["max_secret_age_days"]:
            found.append(finding("secret-old", host, row["user"], "%d days (policy %d)" % (
                row["age_days"], policy["max_secret_age_days"])))
    if getattr(store, "backend", None) == "file" and any(r["escrowed"] for r in record["users"]):
        path = store.location(host)
        for where in (os.path.dirname(path), path):
            try:
                mode = stat.S_IMODE(os.stat(where).st_mode)
            except OSError:
                continue
            if mode & 0o077:
                found.append(finding("escrow-readable", host, detail="%s mode %04o" % (where, mode)))
                break
    return found


def host_findings(record, state, store, policy, now):
    """The findings of one host record (report._report's) and its raw otp_state_info result."""
    found = []
    if record["status"] == "ok" and state:
        if state.get("platform") == "linux":
            found.extend(_linux_findings(record["host"], state, policy, now))
        elif state.get("platform") == "truenas":
            found.extend(_truenas_findings(record["host"], state, policy, now))
    found.extend(_escrow_findings(record, policy, store))
    return found


def ordered(findings):
    """High first, then by host, id and user."""
    return sorted(findings, key=lambda f: (-SEVERITIES.index(f["severity"]), f["host"], f["id"], f["user"] or ""))


def policy_of(options):
    """The policy from the report's options (None: the default), checked."""
    policy = dict(DEFAULT_POLICY)
    for key, value in (options or {}).items():
        if value is None:
            continue
        if key not in policy:
            raise FindingsError("findings policy: unknown setting %s (known: %s)" % (key, ", ".join(sorted(policy))))
        if key != "accepted_key_users" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise FindingsError("findings policy: %s must be a whole number >= 0" % key)
        policy[key] = value
    return policy


def at_or_above(findings, fail_on):
    """The findings of severity ``fail_on`` or worse ([] when ``fail_on`` is None or empty)."""
    if not fail_on:
        return []
    if fail_on not in SEVERITIES:
        raise FindingsError("fail_on: %r is not one of %s" % (fail_on, ", ".join(SEVERITIES)))
    floor = SEVERITIES.index(fail_on)
    return [f for f in findings if SEVERITIES.index(f["severity"]) >= floor]


def gate_message(findings, fail_on):
    """One line naming the findings' ids, hosts and users (never a secret)."""
    shown = ["%s on %s%s" % (f["id"], f["host"], " (%s)" % f["user"] if f["user"] else "") for f in findings[:20]]
    more = " and %d more" % (len(findings) - 20) if len(findings) > 20 else ""
    return "%d finding(s) at or above %s: %s%s (see report.json, findings)" % (
        len(findings), fail_on, "; ".join(shown), more)
