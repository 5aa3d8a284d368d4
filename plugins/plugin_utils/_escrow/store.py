# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The escrow of TOTP secrets on the controller.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

One interface, several backends (file.py, openbao.py; registry.py opens the one asked for). Every
controller-side plugin of the collection reaches it through plugin_utils/_action.py::

    store = open_escrow(escrow_options, vault_secrets=..., basedir=...)   # registry.py
    entry = store.get(host, user)                  # EscrowEntry or None; never raises for "absent"
    entry, created = store.put_once(host, user, EscrowEntry.new(user, key, issuer="fleet2fa", account="root@nas1"))
    entry = store.replace(host, user, new_entry)   # rotation: a new key, devices start over
    entry, changed = store.update(host, user, fn)  # fn(EscrowEntry) -> EscrowEntry (a copy); no write when equal
    code = store.code(host, user)                  # the current one-time code (break-glass, tests)
    rotation.stage(store, host, user, entry)       # a rotation in steps: stage, activate, commit or discard
    step = store.verify(host, user, code, window)  # the matching time step, or None

``escrow_options`` are the suboptions of the ``escrow`` option (module_utils/_escrow_spec.py).

Guarantees:

- ``put_once`` is write-once: when the user already has an entry, the stored one is returned and
  ``created`` is False, even when another fork or controller wrote it a moment before.
- Writes are atomic; the file backend holds a per-host lock, KV v2 uses check-and-set, so parallel
  forks lose nothing.
- Every error is an ``EscrowError`` (a ``Fleet2faError``) whose message names the host, the backend
  and the problem, and never contains secret material.
- ``EscrowEntry.key`` (a ``TotpKey``) holds the secret. It is ``None`` for the ``totp_engine``
  backend, where the key never leaves OpenBao/Vault; ``EscrowEntry.public()`` is what may go into
  task results.

A secret that a host generated (TrueNAS ``user.renew_2fa_secret``) is escrowed with
``EscrowEntry.from_uri(user, provisioning_uri)`` and ``put_once`` or ``replace``.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpError, TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import utcnow

FORMAT = "fleet2fa.nas/escrow/v1"
# Where a backend keeps the staged copies of a rotation (rotation.py), beside the hosts' documents:
# a host name never starts with a dot, so it is never a host.
STAGED = ".staged"
DEFAULT_ISSUER = "fleet2fa"

# Host and user names become file names and KV paths: one path component, no surprises.
# \Z, not $: $ also matches before a trailing newline ("nas1\n" would name a file "nas1\n.yml")
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,252}\Z")


class EscrowError(Fleet2faError):
    """Anything that stops the escrow."""


def check_name(value, what):
    """A host or user name that is safe as one path component (no ``/``, not ``..``)."""
    if not isinstance(value, str) or not _NAME_RE.match(value) or value in (".", ".."):
        raise EscrowError(
            "%s name %r cannot be used in the escrow: use letters, digits and . _ - @ only, "
            "not starting with . or -" % (what, value if isinstance(value, str) else type(value).__name__)
        )
    return value


class EscrowEntry:
    """What the escrow knows of one user on one host.

    ``to_doc()`` is the plaintext stored under ``users.<user>``; ``public()`` is safe for results.
    """

    FIELDS = ("digits", "period", "issuer", "account", "created", "rotated", "fingerprint", "source",
              "engine_key", "devices", "last_verified_step", "last_proven_login", "last_otp_step")

    def __init__(self, user, key=None, digits=None, period=None, issuer=DEFAULT_ISSUER, account=None,
                 created=None, rotated=None, fingerprint=None, source="controller", engine_key=None,
                 devices=None, last_verified_step=None, last_proven_login=None, last_otp_step=None):
        self.user = user
        self.key = key
        self.digits = key.digits if key is not None else digits
        self.period = key.period if key is not None else period
        self.issuer = issuer
        self.account = account
        self.created = created
        self.rotated = rotated
        self.fingerprint = key.fingerprint if key is not None else fingerprint
        self.source = source
        self.engine_key = engine_key
        self.devices = list(devices or [])
        self.last_verified_step = last_verified_step
        # When a real login with password + code last succeeded (rollout/verify roles; report reads it).
        self.last_proven_login = last_proven_login
        # The latest time step whose code a login proof had the host's pam_oath take (its replay state,
        # /etc/users.oath): a later proof uses a later step (plugin_utils/_ssh_prover.py step_after).
        self.last_otp_step = last_otp_step
        # Keys this version does not know (written by a newer one, or by an admin): kept as they are.
        self.extra = {}

    def __repr__(self):
        return "EscrowEntry(%s, %s)" % (self.user, self.fingerprint)

    def __eq__(self, other):
        if not isinstance(other, EscrowEntry):
            return NotImplemented
        return self.user == other.user and self.to_doc() == other.to_doc()

    __hash__ = None

    @classmethod
    def new(cls, user, key, issuer=DEFAULT_ISSUER, account=None, source="controller"):
        return cls(user, key=key, issuer=issuer, account=account, created=utcnow(), source=source)

    @classmethod
    def from_uri(cls, user, uri, source="host", option="provisioning URI"):
        """An entry for a secret made elsewhere (a TrueNAS box), from its otpauth URI."""
        try:
            key, account, issuer = TotpKey.from_uri(uri, option=option)
        except TotpError as exc:
            raise EscrowError(str(exc)) from None
        return cls.new(user, key, issuer=issuer or DEFAULT_ISSUER, account=account, source=source)

    def copy(self):
        return copy.deepcopy(self)

    def uri(self):
        """The otpauth URI (secret inside: never put it into results)."""
        if self.key is None:
            raise EscrowError("the key of user %s lives in the TOTP engine and cannot be exported" % self.user)
        return self.key.uri(self.account or self.user, self.issuer)

    @property
    def verified_devices(self):
        return [d for d in self.devices if d.get("verified")]

    def to_doc(self):
        doc = {}
        if self.key is not None:
            doc["secret"] = self.key.secret
        doc["digits"] = self.digits
        doc["interval"] = self.period
        for field in ("issuer", "account", "created", "rotated", "fingerprint", "source", "engine_key"):
            if getattr(self, field) is not None:
                doc[field] = getattr(self, field)
        doc["devices"] = copy.deepcopy(self.devices)
        if self.last_verified_step is not None:
            doc["last_verified_step"] = self.last_verified_step
        if self.last_proven_login is not None:
            doc["last_proven_login"] = self.last_proven_login
        if self.last_otp_step is not None:
            doc["last_otp_step"] = self.last_otp_step
        for name, value in self.extra.items():
            doc.setdefault(name, copy.deepcopy(value))
        return doc

    @classmethod
    def from_doc(cls, user, doc, where):
        if not isinstance(doc, dict):
            raise EscrowError("%s: users.%s is not a mapping" % (where, user))
        try:
            digits, period = doc.get("digits", 6), doc.get("interval", doc.get("period", 30))
            key = TotpKey(doc["secret"], digits, period) if doc.get("secret") is not None else None
            if key is None and not doc.get("engine_key"):
                raise EscrowError("%s: users.%s has neither a secret nor a TOTP engine key" % (where, user))
        except TotpError as exc:
            raise EscrowError("%s: users.%s: %s" % (where, user, exc)) from None
        devices = doc.get("devices") or []
        if not isinstance(devices, list) or not all(isinstance(d, dict) and d.get("name") for d in devices):
            raise EscrowError("%s: users.%s.devices must be a list of mappings with a name" % (where, user))
        entry = cls(user, key=key, digits=int(digits), period=int(period), issuer=doc.get("issuer", DEFAULT_ISSUER),
                    account=doc.get("account"), created=doc.get("created"), rotated=doc.get("rotated"),
                    fingerprint=doc.get("fingerprint"), source=doc.get("source", "controller"),
                    engine_key=doc.get("engine_key"), devices=devices,
                    last_verified_step=doc.get("last_verified_step"),
                    last_proven_login=doc.get("last_proven_login"), last_otp_step=doc.get("last_otp_step"))
        known = set(cls.FIELDS) | {"secret", "interval", "period"}
        entry.extra = {name: value for name, value in doc.items() if name not in known}
        return entry

    def public(self):
        """Metadata for task results: no secret, no URI."""
        return {
            "user": self.user,
            "fingerprint": self.fingerprint,
            "digits": self.digits,
            "period": self.period,
            "issuer": self.issuer,
            "account": self.account,
            "created": self.created,
            "rotated": self.rotated,
            "source": self.source,
            "devices": copy.deepcopy(self.devices),
            "last_proven_login": self.last_proven_login,
        }


def successor(previous, entry):
    """``entry`` (a new key) as it replaces ``previous``: created kept, rotated now, devices start over."""
    entry = entry.copy()
    if previous is not None:
        entry.created = previous.created or entry.created
        entry.rotated = utcnow()
    return entry


def new_host_doc(host):
    return {"format": FORMAT, "host": host, "users": {}}


def check_host_doc(doc, host, where):
    """A decoded host document, or EscrowError if it is not ours or not this host's."""
    if not isinstance(doc, dict) or not isinstance(doc.get("users"), dict):
        raise EscrowError("%s is not a fleet2fa escrow document (no 'users' mapping); nothing was changed" % where)
    if doc.get("format", FORMAT) != FORMAT:
        raise EscrowError("%s has format %r, expected %r; nothing was changed" % (where, doc.get("format"), FORMAT))
    if doc.get("host", host) != host:
        raise EscrowError("%s belongs to host %r, not %r; nothing was changed" % (where, doc.get("host"), host))
    return doc


class Escrow:
    """The interface; backends implement ``_read(host)`` and ``_modify(host, fn)``.

    ``_modify`` calls ``fn(doc)`` with the current host document (a fresh one when absent), writes
    what it returns atomically (unless it returns None: no write) and returns the written document.
    It retries ``fn`` when another writer got in first.
    """

    backend = None

    def __init__(self, opts=None):
        self.opts = opts or {}

    @classmethod
    def open(cls, opts, vault_secrets=None, basedir=None):
        """The store for the escrow options ``opts`` (every suboption present, defaults filled in)."""
        del vault_secrets, basedir
        return cls(opts)

    def location(self, host):
        raise NotImplementedError

    def _read(self, host):
        raise NotImplementedError

    def _modify(self, host, fn):
        raise NotImplementedError

    def _delete(self, host):
        """Remove the host's document (a staged rotation's copy: rotation.py)."""
        raise EscrowError("the %s escrow cannot remove %s" % (self.backend, self.location(host)))

    def staging_options(self):
        """The escrow options (on top of this store's) that open the store of staged rotations."""
        raise EscrowError("the %s escrow cannot stage a rotation: use a file or kv escrow" % self.backend)

    def staged(self):
        """The store that holds the staged copies of a rotation (rotation.py), beside this one."""
        raise EscrowError("the %s escrow cannot stage a rotation: use a file or kv escrow" % self.backend)

    def check_writable(self, host):
        """Fail now, naming the problem, if the host's document could not be read and written back."""
        check_name(host, "host")
        self._modify(host, lambda doc: None)

    # Hooks for backends that keep the key elsewhere (the TOTP engine).
    def _metadata(self, host, user, entry):
        """What goes into the document for ``entry``."""
        return entry

    def _store_key(self, host, user, entry, replace):
        """Put the key where it lives, after the document claimed it (put_once) or before (replace)."""

    def get(self, host, user):
        check_name(host, "host")
        check_name(user, "user")
        doc = self._read(host)
        if doc is None or user not in doc["users"]:
            return None
        return EscrowEntry.from_doc(user, doc["users"][user], self.location(host))

    def users(self, host):
        check_name(host, "host")
        doc = self._read(host)
        return sorted(doc["users"]) if doc else []

    def entries(self, host):
        """Every user's entry of ``host``, sorted by user, from one read of its document."""
        check_name(host, "host")
        doc = self._read(host)
        if not doc:
            return []
        where = self.location(host)
        return [EscrowEntry.from_doc(user, doc["users"][user], where) for user in sorted(doc["users"])]

    def put_once(self, host, user, entry):
        check_name(host, "host")
        check_name(user, "user")
        existing = self.get(host, user)
        if existing is not None:
            return existing, False
        stored = self._metadata(host, user, entry)
        outcome = {}

        def add(doc):
            outcome.clear()  # a check-and-set retry starts over
            if user in doc["users"]:
                outcome["entry"] = EscrowEntry.from_doc(user, doc["users"][user], self.location(host))
                return None
            doc["users"][user] = stored.to_doc()
            outcome["entry"] = stored
            outcome["created"] = True
            return doc

        self._modify(host, add)
        if outcome.get("created"):
            try:
                self._store_key(host, user, entry, replace=False)
            except EscrowError:
                self._modify(host, lambda doc: self._forget(doc, user, stored.fingerprint))
                raise
        return outcome["entry"], outcome.get("created", False)

    @staticmethod
    def _forget(doc, user, fingerprint):
        if doc["users"].get(user, {}).get("fingerprint") != fingerprint:
            return None
        del doc["users"][user]
        return doc

    def replace(self, host, user, entry):
        check_name(host, "host")
        check_name(user, "user")
        entry = successor(self.get(host, user), entry)
        self._store_key(host, user, entry, replace=True)
        entry = self._metadata(host, user, entry)

        def put(doc):
            doc["users"][user] = entry.to_doc()
            return doc

        self._modify(host, put)
        return entry

    def update(self, host, user, fn):
        """Apply ``fn`` to a copy of the user's entry; write only if the result differs."""
        check_name(host, "host")
        check_name(user, "user")
        outcome = {"changed": False}

        def apply(doc):
            outcome["changed"] = False  # a check-and-set retry starts over
            if user not in doc["users"]:
                raise EscrowError("%s has no entry for user %s" % (self.location(host), user))
            current = EscrowEntry.from_doc(user, doc["users"][user], self.location(host))
            updated = fn(current.copy())
            outcome["entry"] = updated
            if updated == current:
                return None
            outcome["changed"] = True
            doc["users"][user] = updated.to_doc()
            return doc

        self._modify(host, apply)
        return outcome["entry"], outcome["changed"]

    def code(self, host, user):
        entry = self._require(host, user)
        return entry.key.now()

    def verify(self, host, user, code, window=1):
        entry = self._require(host, user)
        return entry.key.matching_step(code, window=window)

    def _require(self, host, user):
        entry = self.get(host, user)
        if entry is None:
            raise EscrowError("%s has no secret for user %s" % (self.location(host), user))
        return entry
