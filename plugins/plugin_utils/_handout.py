# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enrollment packs, one admin's secrets across the fleet as Google Authenticator transfer codes.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

``<qr_dir>/packs/<user>/pack-<i>-of-<n>.png`` and ``.svg`` (up to 10 accounts each, hosts in name
order), ``pack.json``, a manifest of which hosts each code holds (fingerprints only), ``index.html``,
the printable page that captions each code and says how to import and spot-check it, and for apps
that cannot read transfer codes ``otpauth.txt`` (one otpauth URI a line) and ``aegis.json`` (an Aegis
plain vault export). Files are 0600 in 0700 folders, rewritten only when their bytes change; codes of
an older, larger pack are removed. Every account shows the app label of ``_qr.app_label``. Keys the
transfer format cannot carry (7 digits, 60 s) are skipped with the reason, and go
to the admin as the single QR codes of fleet2fa.nas.totp_qr instead.

The spot check proves that the device that scanned a pack holds the right secrets: the admin types
the codes it shows for a few hosts picked at random, and each is checked against the escrow.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import secret_bytes
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _migration as migration
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _pages as pages
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError, check_name
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import check_dirs, ensure_dir, remove_files, write_files
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._qr import QrFiles, app_label, app_uri

PACKS = "packs"
MANIFEST = "pack.json"
INDEX = "index.html"
URI_LIST = "otpauth.txt"
AEGIS = "aegis.json"
INDEX_TEMPLATE = pages.builtin("handout", "index.html.j2")
# The files of a pack folder that hold secrets (the page says so, and lists them).
SECRET_FILES = ("pack-*.png", "pack-*.svg", URI_LIST, AEGIS)
_PACK_FILE_RE = re.compile(r"^pack-\d+-of-\d+\.(png|svg)$")


class HandoutError(Fleet2faError):
    """A pack cannot be made or checked; the message holds no secret and no code."""


def pack_dir(qr_dir, user):
    check_name(user, "user")
    return os.path.join(os.path.abspath(os.path.expanduser(qr_dir)), PACKS, user)


def collect(store, user, hosts, unsupported="skip"):
    """(accounts as [(host, entry)], skipped as [{host, reason}], missing hosts) for one user."""
    accounts, skipped, missing, others = [], [], [], []
    for host in sorted(set(hosts)):
        entry = store.get(host, user)
        if entry is None:
            missing.append(host)
            continue
        if entry.key is None:
            reason = "its key lives in the TOTP engine and cannot be read back"
        else:
            reason = migration.unsupported(entry.digits, entry.period)
        if reason:
            if unsupported == "fail":
                raise HandoutError("%s on %s cannot go into a transfer code: %s" % (user, host, reason))
            skipped.append({"host": host, "reason": reason + "; enroll it with its own QR code (fleet2fa.nas.totp_qr)"})
            if entry.key is not None:
                others.append((host, entry))
            continue
        accounts.append((host, entry))
    return accounts, skipped, missing, others


def render_pack(user, accounts, batch_size=migration.MAX_BATCH):
    """({file name: bytes}, manifest) for the pack; the bytes hold secrets, the manifest does not."""
    batches = migration.batches(accounts, batch_size)
    pack_id = migration.batch_id([user] + ["%s %s" % (host, entry.fingerprint) for host, entry in accounts])
    files, described = {}, []
    for index, batch in enumerate(batches):
        items = [migration.Account(secret_bytes(entry.key.secret), app_label(host, user)[1], app_label(host, user)[0],
                                   entry.digits, entry.period) for host, entry in batch]
        uri = migration.uri(items, len(batches), index, pack_id)
        base = "pack-%d-of-%d" % (index + 1, len(batches))
        for ext, data in QrFiles.render(uri).items():
            files[base + ext] = data
        described.append({
            "index": index + 1,
            "png": base + ".png",
            "svg": base + ".svg",
            "accounts": [{"host": host, "name": app_label(host, user)[1], "issuer": app_label(host, user)[0],
                          "fingerprint": entry.fingerprint} for host, entry in batch],
        })
    manifest = {"user": user, "batch_id": pack_id, "batches": described}
    return files, manifest


def uri_list(accounts):
    """otpauth.txt: one otpauth URI a line under the app label, hosts in name order (secrets inside)."""
    return "".join(app_uri(entry, host, entry.user) + "\n" for host, entry in sorted(accounts, key=lambda a: a[0]))


def aegis_export(accounts):
    """aegis.json: an Aegis plain (unencrypted) vault export of the accounts (secrets inside).

    The format is Aegis's own, as its vault.md (docs folder of github.com/beemdevelopment/Aegis, commit
    39a5dc3e, sections "Format", "Header", "Content", "Entries") describes it: ``{"version": 1, "header": {"slots": null, "params": null}, "db": {"version": 1,
    "entries": [...]}}``, null slots and params marking a vault that is not encrypted, each entry
    ``{"type": "totp", "uuid", "name", "issuer", "icon": null, "info": {"secret" (base32, no padding),
    "algo": "SHA1", "digits", "period"}}``. Aegis asks for version 4 UUIDs; these are version 5, derived
    from the host, user and fingerprint, so that a second run writes the same bytes (Aegis reads any UUID).
    """
    entries = []
    for host, entry in sorted(accounts, key=lambda a: a[0]):
        issuer, name = app_label(host, entry.user)
        entries.append({
            "type": "totp",
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "fleet2fa.nas:%s:%s:%s" % (host, entry.user, entry.fingerprint))),
            "name": name,
            "issuer": issuer,
            "icon": None,
            "info": {"secret": entry.key.secret.rstrip("="), "algo": "SHA1", "digits": entry.digits,
                     "period": entry.period},
        })
    vault = {"version": 1, "header": {"slots": None, "params": None}, "db": {"version": 1, "entries": entries}}
    return json.dumps(vault, indent=2) + "\n"


def index_page(user, manifest, skipped, missing, others, spot_checks):
    """index.html: the printable page of the pack (no secret: it shows the PNG files beside it)."""
    batches = manifest["batches"]
    context = {
        "user": user, "batches": batches, "count": len(batches), "skipped": skipped, "missing": missing,
        "hosts": sum(len(b["accounts"]) for b in batches), "others": [host for host, _entry in others],
        "spot_checks": spot_checks, "uri_list": URI_LIST, "aegis": AEGIS, "secret_files": SECRET_FILES,
        "issuer": app_label("host", user)[0],
    }
    return pages.render(INDEX_TEMPLATE, context)


def pack_files(user, accounts, skipped, missing, others, batch_size=migration.MAX_BATCH, spot_checks=3):
    """({file name: bytes}, manifest) of a whole pack folder: codes, page, URI list and Aegis export."""
    files, manifest = render_pack(user, accounts, batch_size)
    every = accounts + others
    files[INDEX] = index_page(user, manifest, skipped, missing, others, spot_checks).encode("utf-8")
    files[URI_LIST] = uri_list(every).encode("utf-8")
    files[AEGIS] = aegis_export(every).encode("utf-8")
    return files, manifest


def write_pack(folder, files, manifest, skipped, check_mode=False):
    """Write what changed, remove codes of an older pack; returns the paths written or removed."""
    manifest = dict(manifest, skipped=skipped)
    files = dict(files)
    files[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    parent = os.path.dirname(folder)
    # qr_dir, qr_dir/packs and the user's folder are all checked before the first one is made.
    check_dirs((os.path.dirname(parent), parent, folder), "qr_dir")
    if not check_mode:
        ensure_dir(os.path.dirname(parent), option="qr_dir")
        ensure_dir(parent, option="qr_dir")
    written = write_files(folder, files, check_mode=check_mode, option="qr_dir")
    stale = []
    if os.path.isdir(folder):
        stale = [os.path.join(folder, name) for name in sorted(os.listdir(folder))
                 if _PACK_FILE_RE.match(name) and name not in files]
    return written + remove_files(stale, check_mode=check_mode)


def codes_by_user(items):
    """``{user: {host: code}}`` of the codes an admin typed (``[{user, host, code}]``)."""
    codes = {}
    for index, item in enumerate(items or []):
        if not all(item.get(k) not in (None, "") for k in ("user", "host", "code")):
            raise HandoutError("codes[%d] needs user, host and code" % index)
        codes.setdefault(str(item["user"]), {})[str(item["host"])] = str(item["code"])
    return codes


def pick_spot_hosts(hosts, count, rng=None):
    hosts = sorted(hosts)
    return sorted((rng or random.SystemRandom()).sample(hosts, min(count, len(hosts))))


def check_codes(store, user, pack_hosts, codes, wanted, window=1):
    """Check ``codes`` ({host: code}) of one user; returns the hosts checked, in order.

    At least ``wanted`` hosts of the pack (or all, when it is smaller) must be given.
    """
    needed = min(wanted, len(pack_hosts))
    foreign = sorted(set(codes) - set(pack_hosts))
    if foreign:
        raise HandoutError("codes of %s were given for %s, which %s not in the pack"
                           % (user, ", ".join(foreign), "is" if len(foreign) == 1 else "are"))
    if len(codes) < needed:
        raise HandoutError("the spot check of %s needs codes from %d hosts of the pack, got %d"
                           % (user, needed, len(codes)))
    wrong = []
    for host in sorted(codes):
        code = str(codes[host]).strip().replace(" ", "")
        try:
            step = store.verify(host, user, code, window=window)
        except EscrowError as exc:
            raise HandoutError(str(exc)) from None
        if step is None:
            wrong.append(host)
    if wrong:
        raise HandoutError(
            "spot check of %s failed on %s: the code does not match the escrowed secret (or came too late); "
            "scan the pack again and retry with fresh codes" % (user, ", ".join(wrong)))
    return sorted(codes)
