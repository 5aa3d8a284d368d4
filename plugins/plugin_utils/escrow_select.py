# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pick escrow entries with a JMESPath expression over their metadata (never the secret).

Each entry is seen as one document::

    {"host": "nas1", "user": "root", "fingerprint": "sha256:...", "created": "...", "rotated": null,
     "age_days": 97.2, "source": "controller", "devices": [...], "verified_devices": 2,
     "last_proven_login": "...", "digits": 6, "period": 30}

``age_days`` counts from the last rotation, else from the creation. The entry is chosen when the
expression gives a truthy value, e.g. ``age_days > `90```, ``source == 'host'`` or
``verified_devices < `2```.
"""

from __future__ import annotations

import time

from ansible_collections.fleet2fa.nas.plugins.module_utils import deps
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.escrow import EscrowError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.fleet_proof import parse_time

with deps.declare("jmespath", reason="to choose entries with a JMESPath expression"):
    import jmespath


def entry_document(host, entry, now=None):
    now = time.time() if now is None else now
    doc = dict(entry.public(), host=host)
    since = parse_time(entry.rotated) or parse_time(entry.created)
    doc["age_days"] = round((now - since) / 86400.0, 3) if since else None
    doc["verified_devices"] = len(entry.verified_devices)
    return doc


def compile_query(expression):
    deps.require("jmespath")
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise EscrowError("query is not a valid JMESPath expression: %s" % exc) from None


def select(store, host, users, expression=None, now=None):
    """(chosen user names, {user: document}) among ``users`` of ``host`` that the escrow holds."""
    compiled = compile_query(expression) if expression else None
    chosen, docs = [], {}
    for user in users:
        entry = store.get(host, user)
        if entry is None:
            continue
        doc = entry_document(host, entry, now)
        docs[user] = doc
        try:
            hit = compiled.search(doc) if compiled else True
        except jmespath.exceptions.JMESPathError as exc:
            raise EscrowError("query failed on %s/%s: %s" % (host, user, exc)) from None
        if hit:
            chosen.append(user)
    return chosen, docs
