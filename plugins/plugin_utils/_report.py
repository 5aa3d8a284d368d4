# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's data, what each host says (otp_state_info) joined with what the escrow holds.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

One record a host, one row a user (each row carries its host, so ``hosts[].users[]`` stays
queryable). Dates are ISO 8601 UTC strings, and every date also comes as ``*_age_days``: whole
calendar days (UTC) between it and the report's ``date``, so that a JMESPath expression such as
``hosts[].users[?age_days > `90`][]`` can pick old secrets, and so that the report's bytes change
at most once a day when nothing else does (a re-run leaves its files alone).

The escrow is read for metadata only. ``SecretGuard`` remembers every secret it saw, in every form
it is written (base32, hex, otpauth URI), and every value the report was handed that Ansible keeps
secret (vaulted values, password variables: ``handed_secrets``), and refuses text that contains one:
the last line of defence between a future field, or a wrong ``outcome_var``, and a report file.
"""

from __future__ import annotations

import datetime
import json
import urllib.parse

from ansible.errors import AnsibleError
from ansible.parsing.vault import VaultHelper, is_encrypted_file

try:
    # Values of a vars file that ansible-vault encrypted as a whole are plain strings whose only trace
    # of the vault is the Origin tag (the file they came from); ansible-core 2.19-2.21 have no public
    # way to that. The guard only refuses on it, so a missing or wrong Origin never lets a value through
    # that would have been caught otherwise.
    from ansible._internal._datatag._tags import Origin
except ImportError:  # pragma: no cover - an ansible-core outside the supported range
    Origin = None

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import PASSWORD_VARS, is_password_var, parse_timestamp, plain
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _findings as findings_rules
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError, check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._query import search

FORMAT = "fleet2fa.nas/report/v1"
STATUSES = ("ok", "failed", "unreachable", "not_checked")
# Shorter values are not guarded: a vaulted vars file also holds "root", "yes" or "2222", which every
# report contains (a user name, a word, four hex digits of a fingerprint) and which are no secret; a
# password or token that short is one no guard could keep.
MIN_GUARDED_LENGTH = 8


class ReportError(Fleet2faError):
    """The report cannot be built or written; the message holds no secret."""


class SecretGuard:
    """Every escrowed secret seen while building, to check the output against."""

    def __init__(self):
        self._forms = {}
        self._handed = {}

    def add(self, host, user, entry):
        key = entry.key
        if key is None:
            return
        forms = {key.secret, key.secret.lower(), key.hex, key.hex.lower()}
        try:
            uri = entry.uri()
            forms.update({uri, urllib.parse.unquote(uri)})
        except EscrowError:
            pass
        for form in forms:
            self._forms[form] = (host, user)

    def add_value(self, value, what):
        """A value Ansible keeps secret (``what`` names where it came from, never the value)."""
        if isinstance(value, str) and len(value) >= MIN_GUARDED_LENGTH:
            self._handed.setdefault(value, what)

    def check(self, text, what):
        for form, (host, user) in self._forms.items():
            if form in text:
                raise ReportError("the %s would contain the secret of %s on %s; nothing was written" % (what, user, host))
        for value, source in self._handed.items():
            if value in text:
                raise ReportError("the %s would contain %s; nothing was written" % (what, source))
        return text


def _from_vaulted_file(value, vaulted_files):
    tag = Origin.get_tag(value) if Origin is not None else None
    path = getattr(tag, "path", None)
    if not path:
        return False
    if path not in vaulted_files:
        try:
            with open(path, "rb") as handle:
                vaulted_files[path] = is_encrypted_file(handle)
        except OSError:
            vaulted_files[path] = False
    return vaulted_files[path]


def _vaulted_values(value, found, vaulted_files, depth=0):
    """Every decrypted vaulted string inside a raw (untemplated) variable value."""
    if depth > 20:
        return found
    if isinstance(value, str) and _from_vaulted_file(value, vaulted_files):
        found.append(str(value))
    elif VaultHelper.get_ciphertext(value, with_tags=False) is not None:
        try:
            found.append(str(value))
        except (AnsibleError, ValueError, TypeError):
            pass  # not decryptable with the play's vault secrets: then it cannot be written either
    elif isinstance(value, dict):
        for item in value.values():
            _vaulted_values(item, found, vaulted_files, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _vaulted_values(item, found, vaulted_files, depth + 1)
    return found


def handed_secrets(guard, hostvars, hosts):
    """Add to ``guard`` the secrets the hosts' variables hold: every vaulted value, every password variable."""
    vaulted_files = {}
    for name in hosts:
        try:
            raw = hostvars.raw_get(name) if hasattr(hostvars, "raw_get") else hostvars.get(name)
        except AnsibleError:
            raw = None
        if not isinstance(raw, dict):
            continue
        for var, value in raw.items():
            for plain_value in _vaulted_values(value, [], vaulted_files):
                guard.add_value(plain_value, "the vaulted variable %s of %s" % (var, name))
        known = hostvars[name] if name in hostvars else {}
        for var in sorted(set(PASSWORD_VARS) | {v for v in raw if is_password_var(v)}):
            try:
                value = known[var] if var in known else None
            except AnsibleError:  # a default that points at an undefined variable
                continue
            guard.add_value(value, "the password variable %s of %s" % (var, name))


def _age_days(value, today):
    stamp = parse_timestamp(value)
    return None if stamp is None else (today - stamp.date()).days


def _host_status(result):
    if result is None:
        return "not_checked", "no state was gathered (not in the play, or it failed before the report)"
    if result.get("unreachable"):
        return "unreachable", result.get("msg") or "unreachable"
    if result.get("failed"):
        return "failed", result.get("msg") or "failed"
    if result.get("skipped"):
        return "not_checked", "skipped"
    return "ok", None


def _escrow_rows(store, host, guard, today):
    """{user: row fields from the escrow} and an error string or None."""
    rows = {}
    try:
        check_name(host, "host")
        for entry in store.entries(host):
            user = entry.user
            guard.add(host, user, entry)
            verified = entry.verified_devices
            changed = entry.rotated or entry.created
            rows[user] = {
                "escrowed": True,
                "fingerprint": entry.fingerprint,
                "source": entry.source,
                "digits": entry.digits,
                "period": entry.period,
                "created": entry.created,
                "rotated": entry.rotated,
                "age_days": _age_days(changed, today),
                "device_names": [d.get("name") for d in verified],
                "verified_devices": len(verified),
                "devices_total": len(entry.devices),
                "last_proven_login": entry.last_proven_login,
                "last_proven_login_age_days": _age_days(entry.last_proven_login, today),
            }
    except EscrowError as exc:
        return rows, str(exc)
    return rows, None


_EMPTY_ESCROW = {
    "escrowed": False, "fingerprint": None, "source": None, "digits": None, "period": None, "created": None,
    "rotated": None, "age_days": None, "device_names": [], "verified_devices": 0, "devices_total": 0,
    "last_proven_login": None, "last_proven_login_age_days": None,
}


def host_record(host, result, escrow_rows, escrow_error, failure, today):
    status, error = _host_status(result)
    if failure and status == "ok":
        status, error = "failed", failure
    elif failure:
        error = "%s; %s" % (failure, error)
    state = result if status == "ok" else {}
    on_host = {u["user"]: u for u in state.get("users") or []}
    users = []
    for user in sorted(set(on_host) | set(escrow_rows)):
        seen = on_host.get(user, {})
        row = {"host": host, "user": user}
        if status == "ok":
            configured = seen.get("twofactor_configured", "fingerprint" in seen)
            row.update(two_factor=bool(configured), ssh_otp=bool(seen.get("ssh_otp")))
        else:
            row.update(two_factor=None, ssh_otp=None)
        row.update(escrow_rows.get(user, _EMPTY_ESCROW))
        row["host_fingerprint"] = seen.get("fingerprint")
        # Linux tells the secret's fingerprint; TrueNAS only whether there is one.
        if row["host_fingerprint"] and row["fingerprint"]:
            row["fingerprint_match"] = row["host_fingerprint"] == row["fingerprint"]
        else:
            row["fingerprint_match"] = None
        row["last_code_used"] = seen.get("last_used")
        row["ssh_password_login"] = seen.get("ssh_password_login")
        users.append(row)
    record = {
        "host": host,
        "status": status,
        "error": error,
        "platform": state.get("platform"),
        "two_factor": state.get("two_factor") if status == "ok" else None,
        "ssh_otp": state.get("ssh_otp") if status == "ok" else None,
        "truenas_version": state.get("truenas_version"),
        # What stops code after code (pam_faillock, TrueNAS's own limits): _findings.failure_limit.
        "failure_limit": findings_rules.failure_limit(state) if status == "ok" else None,
        # TrueNAS 25.04+: the 2FA preconditions of STIG mode (otp_state_info's stig_readiness).
        "stig_readiness": state.get("stig_readiness") if status == "ok" else None,
        "escrow_error": escrow_error,
        "users": users,
    }
    return record


def count(items):
    return sum(1 for _item in items)


def summarize(hosts, findings=()):
    users = [u for h in hosts for u in h["users"]]
    return {
        "findings": {s: count(f for f in findings if f["severity"] == s) for s in findings_rules.SEVERITIES},
        "hosts": len(hosts),
        "by_status": {s: count(h for h in hosts if h["status"] == s) for s in STATUSES},
        "two_factor_on": count(h for h in hosts if h["two_factor"]),
        "ssh_otp_on": count(h for h in hosts if h["ssh_otp"]),
        "users": len(users),
        "users_escrowed": count(u for u in users if u["escrowed"]),
        "users_with_two_verified_devices": count(u for u in users if u["verified_devices"] >= 2),
        "fingerprint_mismatches": count(u for u in users if u["fingerprint_match"] is False),
    }


def build(hosts, states, store, failures=None, now=None, policy=None):
    """(report document, SecretGuard). ``states``: {host: registered otp_state_info result}.

    ``findings`` lists the ways around the code (plugin_utils/_findings.py), high first, then by host;
    ``policy`` is its settings (``_findings.DEFAULT_POLICY`` where a key is missing).
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    today = now.date()
    guard = SecretGuard()
    failures = failures or {}
    policy = findings_rules.policy_of(policy)
    records, found = [], []
    for host in sorted(set(hosts)):
        escrow_rows, escrow_error = _escrow_rows(store, host, guard, today)
        state = plain(states.get(host)) if states.get(host) is not None else None
        record = host_record(host, state, escrow_rows, escrow_error, failures.get(host), today)
        records.append(record)
        found.extend(findings_rules.host_findings(record, state, store, policy, now))
    found = findings_rules.ordered(found)
    document = {"format": FORMAT, "date": today.isoformat(), "summary": summarize(records, found),
                "findings": found, "hosts": records}
    return document, guard


def narrow(document, expression):
    """The document with ``result`` = the expression over it (the full document stays out)."""
    if not expression:
        return document
    return {"format": FORMAT, "date": document["date"], "query": expression, "summary": document["summary"],
            "findings": document["findings"], "result": search(expression, document)}


def to_json(document, guard):
    return guard.check(json.dumps(document, indent=2, sort_keys=True) + "\n", "JSON report").encode("utf-8")
