# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A rotation the escrow follows step by step, so that it holds the secret the host accepts at every moment.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

1. ``stage(store, host, user, entry)``: the new secret goes into a staged copy of the host's document,
   which is the host's own document with the rotated users replaced (file backend:
   ``<dir>/.staged/<host>.yml``; kv: ``<path_prefix>/.staged/<host>``). The host's document and the
   QR files are not touched.
2. The activation reads the staged copy as an escrow of its own (``store.staged()``, opened with the
   options ``store.staging_options()``), puts it in force on the host and proves a login.
3. ``commit(store, host)``: after the proof, the staged users' entries replace theirs in the host's
   document (as it is then) and the staged copy is removed. ``discard(store, host)``: after a
   failed proof that the host rolled back, the staged copy is removed; the host's document was never
   written, so it is byte for byte what it was.

A host name never starts with a dot (store.check_name), so ``.staged`` (store.py ``STAGED``) is never a host's name.
The staged document carries ``staged_rotation: {from: <digest of the document it was made from>,
users: [...]}``; a staged copy made from another version of the host's document (a run killed
between stage and commit) is started over, not added to.
"""

from __future__ import annotations

import copy
import hashlib
import json

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import plain
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import (
    EscrowEntry,
    EscrowError,
    check_name,
    new_host_doc,
    successor,
)

STAGING_KEY = "staged_rotation"


def _digest(doc):
    text = json.dumps(plain(doc), sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def stage(store, host, user, entry):
    """Stage ``entry`` (a new key) for ``user``; returns the entry as it will be escrowed."""
    check_name(host, "host")
    check_name(user, "user")
    staging = store.staged()
    main = store._read(host) or new_host_doc(host)
    base = _digest(main)
    previous = EscrowEntry.from_doc(user, main["users"][user], store.location(host)) if user in main["users"] else None
    new = successor(previous, entry)

    def put(doc):
        meta = doc.get(STAGING_KEY)
        if not isinstance(meta, dict) or meta.get("from") != base:
            doc = copy.deepcopy(main)
            meta = {"from": base, "users": []}
        doc["users"][user] = new.to_doc()
        meta["users"] = sorted(set(meta.get("users") or []) | {user})
        doc[STAGING_KEY] = meta
        return doc

    staging._modify(host, put)
    return new


def staged_users(store, host):
    """The users whose new entries wait in the staged copy of ``host`` ([] when none)."""
    doc = store.staged()._read(host)
    return list(((doc or {}).get(STAGING_KEY) or {}).get("users") or [])


def commit(store, host):
    """Swap the staged entries in; returns the users swapped ([] when nothing was staged: a re-run)."""
    check_name(host, "host")
    staging = store.staged()
    staged = staging._read(host)
    if staged is None:
        return []
    users = list((staged.get(STAGING_KEY) or {}).get("users") or [])
    missing = [user for user in users if user not in staged["users"]]
    if missing:
        raise EscrowError("%s: the staged rotation lists %s but has no entry for them; nothing was swapped"
                          % (staging.location(host), ", ".join(missing)))

    def overlay(doc):
        for user in users:
            doc["users"][user] = copy.deepcopy(staged["users"][user])
        return doc

    store._modify(host, overlay)
    staging._delete(host)
    return users


def discard(store, host):
    """Remove the staged copy of ``host``; returns the users it staged ([] when there was none)."""
    check_name(host, "host")
    users = staged_users(store, host)
    store.staged()._delete(host)
    return users
