# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML page, rendered from a Jinja2 template.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

The built-in template is ``roles/report/templates/report.html.j2``; a user's own template (the
``template`` option, ``fleet2fa_report_template``) gets the same context. Autoescape is on (host and
user names come from inventories and boxes). Every word the page shows for a value comes from the
one wording table below (``WORDS``, ``LABELS``): yes/no, never "on" or a raw key such as
``not_checked``. The page is built from the same document as report.json and is as deterministic.
"""

from __future__ import annotations

import os
import re

from markupsafe import Markup, escape

from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _pages as pages

DEFAULT_TEMPLATE = pages.builtin("report", "report.html.j2")

# The wording table: the one place where values become words.
YES, NO, NONE = "yes", "no", "\u2014"
WORDS = {
    "status": {"ok": "OK", "failed": "failed", "unreachable": "unreachable", "not_checked": "not checked"},
    "platform": {"linux": "Linux", "truenas": "TrueNAS"},
    "source": {"controller": "controller", "host": "host", "engine": "TOTP engine"},
    "severity": {"high": "high", "medium": "medium", "low": "low"},
}
LABELS = {
    "host": "host", "status": "status", "error": "error", "platform": "platform",
    "truenas_version": "TrueNAS version", "two_factor": "2FA", "ssh_otp": "SSH OTP",
    "escrow_error": "escrow error", "users": "users", "user": "user", "escrowed": "escrowed",
    "fingerprint": "fingerprint", "host_fingerprint": "fingerprint on the host", "fingerprint_match": "matches host",
    "source": "secret made by", "digits": "digits", "period": "period (s)", "created": "created", "rotated": "rotated",
    "age_days": "age (days)", "verified_devices": "verified devices", "device_names": "device names",
    "devices_total": "devices", "last_proven_login": "last proven login",
    "last_proven_login_age_days": "days since proven login", "last_code_used": "last code used",
    "ssh_password_login": "SSH password login", "hosts": "hosts", "by_status": "by status",
    "two_factor_on": "hosts with 2FA", "ssh_otp_on": "hosts with SSH OTP", "users_escrowed": "users escrowed",
    "users_with_two_verified_devices": "users with 2+ verified devices",
    "fingerprint_mismatches": "host/escrow fingerprint mismatches", "not_checked": "not checked",
    "ok": "OK", "failed": "failed", "unreachable": "unreachable", "findings": "findings",
    "failure_limit": "failure limit", "by": "locked by", "deny": "locks after (failures)",
    "unlock_time": "unlocks after (s)", "otp_tries_per_login": "codes a login may try",
    "stig_readiness": "STIG mode's 2FA preconditions", "ready": "all hold", "missing": "missing",
}
FINDING_COLUMNS = ("severity", "host", "user", "finding", "fix", "id")
TIMESTAMP_FIELDS = ("created", "rotated", "last_proven_login", "last_code_used")
USER_COLUMNS = ("user", "two_factor", "ssh_otp", "escrowed", "fingerprint", "fingerprint_match", "source",
                "created", "rotated", "age_days", "verified_devices", "device_names", "last_proven_login",
                "last_code_used", "ssh_password_login")
OVERVIEW_COLUMNS = ("host", "status", "platform", "version", "2FA", "SSH OTP", "failure limit", "users escrowed",
                    "verified devices", "last proven login", "problems")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]00:?00)$")


def label(key):
    """The column or row heading of a document key."""
    return LABELS.get(key, str(key).replace("_", " "))


def word(value, field=None):
    """A scalar value as the page says it."""
    if value is True:
        return YES
    if value is False:
        return NO
    if value is None:
        return NONE
    if isinstance(value, str) and field in WORDS:
        return WORDS[field].get(value, value)
    if isinstance(value, str) and field is None and value in WORDS["status"]:
        return WORDS["status"][value]
    return str(value)


def when(value):
    """A UTC timestamp as a <time> that never wraps (CSS), minutes shown: 2026-12-30 09:00 UTC."""
    if value is None:
        return Markup('<span class="none">%s</span>') % NONE
    match = _ISO.match(str(value))
    shown = "%s %s UTC" % (match.group(1), match.group(2)) if match else str(value)
    return Markup('<time datetime="%s">%s</time>') % (value, shown)


def cell(value, field=None):
    """Any value of the document as HTML: words for scalars, tables for mappings and lists of mappings."""
    if field in TIMESTAMP_FIELDS or (isinstance(value, str) and _ISO.match(value)):
        return when(value)
    if isinstance(value, dict):
        rows = Markup("").join(Markup("<tr><th>%s</th><td>%s</td></tr>") % (label(k), cell(v, k))
                               for k, v in value.items())
        return Markup('<div class="box"><table>%s</table></div>') % rows
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            keys = []
            for row in value:
                keys.extend(k for k in row if k not in keys)
            head = Markup("").join(Markup("<th>%s</th>") % label(k) for k in keys)
            body = Markup("").join(Markup("<tr>%s</tr>") % Markup("").join(
                Markup("<td>%s</td>") % cell(row.get(k), k) for k in keys) for row in value)
            return Markup('<div class="box"><table><thead><tr>%s</tr></thead><tbody>%s</tbody></table></div>') % (
                head, body)
        if not value:
            return Markup('<span class="none">none</span>')
        return Markup(", ").join(cell(v, field) for v in value)
    css = "yes" if value is True else "no" if value is False else "none" if value is None else None
    if field in ("status", "severity") and isinstance(value, str):
        css = value
    text = word(value, field)
    return Markup('<span class="%s">%s</span>') % (css, text) if css else escape(text)


def problems(record):
    """What needs an admin's attention on a host, as short phrases."""
    found = []
    if record["error"]:
        found.append(record["error"])
    if record["escrow_error"]:
        found.append("escrow: %s" % record["escrow_error"])
    if record["status"] == "ok":
        if not record["two_factor"]:
            found.append("2FA is off")
        elif not record["ssh_otp"]:
            found.append("SSH asks for no code")
    for row in record["users"]:
        user = row["user"]
        if not row["escrowed"]:
            found.append("%s: no secret in the escrow" % user)
            continue
        if row["fingerprint_match"] is False:
            found.append("%s: the host's secret differs from the escrow's" % user)
        if row["verified_devices"] < 2:
            count = row["verified_devices"]
            found.append("%s: %d verified device%s" % (user, count, "" if count == 1 else "s"))
        if row["last_proven_login"] is None:
            found.append("%s: no login proven" % user)
    return found


def limit_phrase(limit):
    """The failure limit in a few words: "pam_faillock: 5 failures, 900 s", "3 codes a login; no lockout"."""
    if not limit:
        return NONE
    if limit["by"]:
        numbers = ", ".join(text for text in (
            "%d failures" % limit["deny"] if limit["deny"] is not None else None,
            "%d s" % limit["unlock_time"] if limit["unlock_time"] is not None else None) if text)
        return "%s: %s" % (limit["by"], numbers) if numbers else limit["by"]
    if limit["otp_tries_per_login"]:
        return "%d codes a login; no lockout" % limit["otp_tries_per_login"]
    return "no lockout"


def overview_row(record):
    users = record["users"]
    escrowed = sum(1 for u in users if u["escrowed"])
    devices = sorted({u["verified_devices"] for u in users if u["escrowed"]})
    if not devices:
        device_text = NONE
    elif len(devices) == 1:
        device_text = str(devices[0])
    else:
        device_text = ", ".join("%s %d" % (u["user"], u["verified_devices"]) for u in users if u["escrowed"])
    proven = [u["last_proven_login"] for u in users if u["escrowed"]]
    # The oldest proof of the host's users: a host is as proven as its least proven user.
    oldest = None if not proven or None in proven else min(proven)
    return {
        "record": record,
        "host": record["host"],
        "status": record["status"],
        "platform": record["platform"],
        "version": record["truenas_version"],
        "two_factor": record["two_factor"],
        "ssh_otp": record["ssh_otp"],
        "failure_limit": limit_phrase(record.get("failure_limit")),
        "users_escrowed": "%d of %d" % (escrowed, len(users)) if users else NONE,
        "verified_devices": device_text,
        "last_proven_login": oldest,
        "problems": problems(record),
    }


def host_records(document):
    """The host records the page shows as sections: the whole fleet, or a selection of hosts."""
    if "query" not in document:
        return document["hosts"]
    result = document["result"]
    if isinstance(result, list) and result and all(isinstance(r, dict) and "users" in r and "host" in r
                                                   for r in result):
        return result
    return None


def render(document, title="fleet2fa report", template=None):
    """The page for ``document`` (whole or narrowed) from ``template`` (a file), else the built-in one."""
    path = os.path.abspath(template or DEFAULT_TEMPLATE)
    records = host_records(document)
    context = {
        "title": title,
        "document": document,
        "summary": document["summary"],
        "query": document.get("query"),
        "hosts": records,
        "overview": [overview_row(r) for r in records] if records is not None else None,
        "result": document.get("result"),
        "user_columns": USER_COLUMNS,
        "overview_columns": OVERVIEW_COLUMNS,
        "findings": document.get("findings") or [],
        "finding_columns": FINDING_COLUMNS,
    }
    return pages.render(path, context, dict(word=word, when=when, cell=cell, label=label))
