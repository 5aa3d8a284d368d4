# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML page: inline CSS, no script, no external asset.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Every value goes through ``html.escape`` (host and user names come from inventories and boxes);
the page is built from the same document as report.json and is as deterministic.
"""

from __future__ import annotations

import html

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
.meta{color:#5b6475;margin-bottom:1rem}
table{border-collapse:collapse;margin:.25rem 0 .75rem}
th,td{border:1px solid #d7dbe3;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f2f4f8;font-weight:600}
td table{margin:0}
.on,.ok{color:#0b6b2f;font-weight:600}.off,.failed,.unreachable{color:#a1161d;font-weight:600}
.not_checked,.none{color:#7a8190}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em}
section{border-top:2px solid #e4e7ee;padding-top:.25rem}
"""

USER_COLUMNS = (
    ("user", "user"), ("two_factor", "2FA"), ("ssh_otp", "SSH OTP"), ("escrowed", "escrowed"),
    ("fingerprint", "fingerprint"), ("fingerprint_match", "matches host"), ("created", "created"),
    ("rotated", "rotated"), ("age_days", "age (days)"), ("verified_devices", "verified devices"),
    ("device_names", "device names"), ("last_proven_login", "last proven login"), ("last_code_used", "last code used"),
    ("ssh_password_login", "SSH password login"),
)
HOST_FIELDS = (
    ("status", "status"), ("platform", "platform"), ("truenas_version", "TrueNAS version"),
    ("two_factor", "2FA"), ("ssh_otp", "SSH OTP"), ("error", "error"), ("escrow_error", "escrow error"),
)
SUMMARY_LABELS = {
    "hosts": "hosts", "by_status": "by status", "two_factor_on": "hosts with 2FA on",
    "ssh_otp_on": "hosts with SSH OTP on", "users": "users", "users_escrowed": "users escrowed",
    "users_with_two_verified_devices": "users with 2+ verified devices",
    "fingerprint_mismatches": "host/escrow fingerprint mismatches",
}


def esc(value):
    return html.escape(str(value), quote=True)


def cell(value):
    """One value as HTML: booleans as on/off, null as a dash, lists and mappings as nested tables."""
    if value is True:
        return '<span class="on">on</span>'
    if value is False:
        return '<span class="off">off</span>'
    if value is None:
        return '<span class="none">&mdash;</span>'
    if isinstance(value, dict):
        return kv_table(value)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return rows_table(value)
        return ", ".join(cell(v) for v in value) if value else '<span class="none">none</span>'
    return esc(value)


def kv_table(mapping, labels=None):
    labels = labels or {}
    rows = "".join("<tr><th>%s</th><td>%s</td></tr>" % (esc(labels.get(k, k)), cell(v)) for k, v in mapping.items())
    return "<table>%s</table>" % rows


def rows_table(rows, columns=None):
    if columns is None:
        keys = []
        for row in rows:
            keys.extend(k for k in row if k not in keys)
        columns = [(k, k) for k in keys]
    head = "".join("<th>%s</th>" % esc(label) for _key, label in columns)
    body = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % cell(row.get(key)) for key, _label in columns)
                   for row in rows)
    return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (head, body)


def _status(status):
    return '<span class="%s">%s</span>' % (esc(status), esc(status.replace("_", " ")))


def host_section(record):
    facts = []
    for key, label in HOST_FIELDS:
        value = record.get(key)
        if key in ("truenas_version", "error", "escrow_error") and value is None:
            continue
        facts.append("<tr><th>%s</th><td>%s</td></tr>" % (esc(label), _status(value) if key == "status" else cell(value)))
    users = rows_table(record["users"], USER_COLUMNS) if record["users"] else "<p>No 2FA user on the host or in the escrow.</p>"
    return '<section id="host-%s"><h2>%s %s</h2><table>%s</table>%s</section>' % (
        esc(record["host"]), esc(record["host"]), _status(record["status"]), "".join(facts), users)


def render(document, title="fleet2fa report"):
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>%s</title><style>%s</style></head><body>" % (esc(title), CSS),
        "<h1>%s</h1>" % esc(title),
        '<p class="meta">Two-factor state of the fleet on %s (ages in whole UTC days up to this date). '
        "No secret is in this page.</p>" % esc(document["date"]),
        "<h2>Fleet summary</h2>",
        kv_table(document["summary"], SUMMARY_LABELS),
    ]
    if "query" in document:
        parts.append("<h2>Selection <code>%s</code></h2>" % esc(document["query"]))
        result = document["result"]
        if isinstance(result, list) and result and all(isinstance(r, dict) and "users" in r and "host" in r
                                                       for r in result):
            parts.extend(host_section(r) for r in result)
        else:
            parts.append(cell(result))
    else:
        parts.extend(host_section(r) for r in document["hosts"])
    parts.append("</body></html>\n")
    return "\n".join(parts)
