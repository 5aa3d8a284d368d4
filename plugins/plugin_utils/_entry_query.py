# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pick escrow entries with a JMESPath expression over their metadata (never the secret).

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Each entry is seen as one document::

    {"host": "nas1", "user": "root", "fingerprint": "sha256:...", "created": "...", "rotated": null,
     "age_days": 97.2, "source": "controller", "devices": [...], "verified_devices": 2,
     "last_proven_login": "...", "digits": 6, "period": 30}

``age_days`` counts from the last rotation, else from the creation. The entry is chosen when the
expression gives a truthy value, e.g. ``age_days > `90```, ``source == 'host'`` or
``verified_devices < `2```. The functions ``age_days()`` and ``now()`` of _query.py work here too.
"""

from __future__ import annotations

import time

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import epoch_seconds
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._query import compile_expression, search


def entry_document(host, entry, now=None):
    now = time.time() if now is None else now
    doc = dict(entry.public(), host=host)
    since = epoch_seconds(entry.rotated) or epoch_seconds(entry.created)
    doc["age_days"] = round((now - since) / 86400.0, 3) if since else None
    doc["verified_devices"] = len(entry.verified_devices)
    return doc


def select(store, host, users, expression=None, now=None):
    """(chosen user names, {user: document}) among ``users`` of ``host`` that the escrow holds."""
    compiled = compile_expression(expression) if expression else None
    chosen, docs = [], {}
    for user in users:
        entry = store.get(host, user)
        if entry is None:
            continue
        doc = entry_document(host, entry, now)
        docs[user] = doc
        if not compiled or search(expression, doc, compiled):
            chosen.append(user)
    return chosen, docs
