# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenBao / HashiCorp Vault backends of the escrow (docs/escrow.md).

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

``KvEscrow`` keeps each host's escrow document as a KV version 2 secret at
``<kv_mount>/<path_prefix>/<host>``; every write is a check-and-set on the version read (0 for a new
host), retried after a re-read when another writer got in first, so write-once holds across forks and
controllers.

``TotpEngineEscrow`` imports each key into the TOTP secrets engine, which never gives it back, and
keeps the metadata (devices, times, fingerprint) in KV version 2 like ``KvEscrow``. Codes and
verifications are asked of the engine.
"""

from __future__ import annotations

import os

from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import time_step
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import plain
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import (
    STAGED,
    Escrow,
    EscrowError,
    check_host_doc,
    new_host_doc,
)

with deps.declare("hvac", reason="to reach OpenBao or HashiCorp Vault"):
    import hvac
    import hvac.exceptions
    import requests.exceptions

CAS_RETRIES = 20


class OpenBaoClient:
    """An authenticated hvac client whose errors are EscrowErrors without secrets in them."""

    def __init__(self, opts):
        deps.require("hvac")
        self.url = opts.get("url") or os.environ.get("BAO_ADDR") or os.environ.get("VAULT_ADDR")
        if not self.url:
            raise EscrowError("the %s backend needs escrow.url (or BAO_ADDR / VAULT_ADDR)" % opts["backend"])
        verify = opts.get("ca_cert") or bool(opts.get("validate_certs", True))
        self.timeout = opts["timeout"]
        self.client = hvac.Client(url=self.url, verify=verify, timeout=self.timeout)
        method = opts.get("auth_method") or "token"
        if method == "token":
            token = opts.get("token") or os.environ.get("BAO_TOKEN") or os.environ.get("VAULT_TOKEN")
            if not token:
                raise EscrowError("no token for %s: set escrow.token (or BAO_TOKEN / VAULT_TOKEN)" % self.url)
            self.client.token = token
            self.call("check the token", self.client.auth.token.lookup_self)
        elif method == "approle":
            if not opts.get("role_id") or not opts.get("secret_id"):
                raise EscrowError("escrow.auth_method=approle needs escrow.role_id and escrow.secret_id")
            self.call("log in with AppRole", self.client.auth.approle.login, role_id=opts["role_id"],
                      secret_id=opts["secret_id"], mount_point=opts.get("approle_mount") or "approle")
        else:
            raise EscrowError("unknown escrow.auth_method %r: use token or approle" % method)

    def call(self, what, fn, *args, **kwargs):
        """Run an hvac call; map its failures to messages that say what to check."""
        try:
            return fn(*args, **kwargs)
        except hvac.exceptions.Forbidden:
            raise EscrowError("%s: cannot %s: permission denied (wrong or expired token, or a policy without access)"
                              % (self.url, what)) from None
        except hvac.exceptions.Unauthorized:
            raise EscrowError("%s: cannot %s: not authorized (wrong credentials)" % (self.url, what)) from None
        except hvac.exceptions.InvalidPath:
            raise
        except hvac.exceptions.InvalidRequest:
            raise
        except hvac.exceptions.VaultError as exc:
            raise EscrowError("%s: cannot %s: the server answered %s" % (self.url, what, type(exc).__name__)) from None
        except requests.exceptions.SSLError:
            raise EscrowError("%s: cannot %s: TLS certificate check failed (escrow.ca_cert, escrow.validate_certs)" % (self.url, what)) from None
        except requests.exceptions.Timeout:
            raise EscrowError("%s: cannot %s: OpenBao/Vault did not answer within %d s (escrow.timeout)"
                              % (self.url, what, self.timeout)) from None
        except requests.exceptions.ConnectionError:
            raise EscrowError("%s: cannot %s: OpenBao/Vault is unreachable" % (self.url, what)) from None
        except requests.exceptions.RequestException as exc:
            raise EscrowError("%s: cannot %s: %s" % (self.url, what, type(exc).__name__)) from None


class KvEscrow(Escrow):
    backend = "kv"

    def __init__(self, opts):
        super().__init__(opts)
        self.bao = OpenBaoClient(opts)
        self.mount = opts.get("kv_mount") or "secret"
        self.prefix = (opts.get("path_prefix") or "").strip("/")

    def path(self, host):
        return "%s/%s" % (self.prefix, host) if self.prefix else host

    def location(self, host):
        return "%s/%s (%s)" % (self.mount, self.path(host), self.bao.url)

    def _read_versioned(self, host):
        kv = self.bao.client.secrets.kv.v2
        try:
            answer = self.bao.call("read %s" % self.location(host), kv.read_secret_version, path=self.path(host),
                                   mount_point=self.mount, raise_on_deleted_version=False)
        except hvac.exceptions.InvalidPath:
            return None, 0
        except hvac.exceptions.InvalidRequest:
            raise EscrowError("%s: KV version 2 is not mounted at %s" % (self.bao.url, self.mount)) from None
        data = answer.get("data") or {}
        version = (data.get("metadata") or {}).get("version") or 0
        if data.get("data") is None:  # deleted (soft): the next write must follow its version
            return None, version
        return check_host_doc(data["data"], host, self.location(host)), version

    def _read(self, host):
        return self._read_versioned(host)[0]

    def _modify(self, host, fn):
        kv = self.bao.client.secrets.kv.v2
        for dummy in range(CAS_RETRIES):
            doc, version = self._read_versioned(host)
            if doc is None:
                doc = new_host_doc(host)
            new = fn(doc)
            if new is None:
                return doc
            try:
                self.bao.call("write %s" % self.location(host), kv.create_or_update_secret, path=self.path(host),
                              secret=plain(new), cas=version, mount_point=self.mount)
                return new
            except hvac.exceptions.InvalidRequest as exc:
                if "check-and-set" not in str(exc):
                    raise EscrowError("%s: the write was refused (%s)" % (self.location(host), type(exc).__name__)) from None
            except hvac.exceptions.InvalidPath:
                raise EscrowError("%s: KV version 2 is not mounted at %s" % (self.bao.url, self.mount)) from None
        raise EscrowError("%s: gave up after %d check-and-set conflicts" % (self.location(host), CAS_RETRIES))

    def _delete(self, host):
        kv = self.bao.client.secrets.kv.v2
        try:
            self.bao.call("delete %s" % self.location(host), kv.delete_latest_version_of_secret, path=self.path(host),
                          mount_point=self.mount)
        except hvac.exceptions.InvalidPath:
            return

    def staging_options(self):
        return {"path_prefix": "%s/%s" % (self.prefix, STAGED) if self.prefix else STAGED}

    def staged(self):
        return KvEscrow(dict(self.opts, **self.staging_options()))


class TotpEngineEscrow(KvEscrow):
    backend = "totp_engine"
    guards_replay = True  # the engine refuses a code it accepted before
    # The engine's keys are written as they are made: a rotation cannot wait in a staged copy.
    staging_options = Escrow.staging_options
    staged = Escrow.staged

    def __init__(self, opts):
        super().__init__(opts)
        self.totp_mount = (opts.get("totp_mount") or "totp").strip("/")

    def key_name(self, host, user):
        name = "%s-%s--%s" % (self.prefix.replace("/", "-"), host, user) if self.prefix else "%s--%s" % (host, user)
        return name.replace("@", "_at_")

    def _engine(self, what, method, path, **data):
        full = "%s/%s" % (self.totp_mount, path)
        try:
            if method == "read":
                return self.bao.call(what, self.bao.client.read, full)
            if method == "delete":
                return self.bao.call(what, self.bao.client.delete, full)
            return self.bao.call(what, self.bao.client.write_data, full, data=data)
        except hvac.exceptions.InvalidPath:
            raise EscrowError("%s: no TOTP engine at %s/ or no key %s" % (self.bao.url, self.totp_mount, path)) from None

    def _metadata(self, host, user, entry):
        if entry.key is None:
            return entry
        stored = entry.copy()
        stored.key = None  # the key lives in the engine only
        stored.engine_key = self.key_name(host, user)
        stored.source = "engine"
        return stored

    def _store_key(self, host, user, entry, replace):
        if entry.key is None:
            return
        name = self.key_name(host, user)
        if replace:
            self._engine("delete TOTP key %s" % name, "delete", "keys/" + name)
        try:
            self._engine("import TOTP key %s" % name, "write", "keys/" + name, url=entry.uri())
        except hvac.exceptions.InvalidRequest:
            raise EscrowError("%s: the TOTP engine refused key %s" % (self.bao.url, name)) from None

    def code(self, host, user):
        entry = self._require(host, user)
        if entry.engine_key is None:  # written by the kv backend under the same prefix
            return entry.key.now()
        answer = self._engine("get a code of %s" % entry.engine_key, "read", "code/" + entry.engine_key)
        return str(answer["data"]["code"])

    def verify(self, host, user, code, window=1):
        return self._verify_entry(self._require(host, user), code)

    def _verify_entry(self, entry, code):
        """The current step if the engine accepts ``code`` (it refuses reuse itself), else None."""
        if entry.engine_key is None:
            return entry.key.matching_step(code)
        try:
            answer = self._engine("check a code of %s" % entry.engine_key, "write", "code/" + entry.engine_key, code=code)
        except hvac.exceptions.InvalidRequest as exc:
            if "already used" in str(exc):
                raise EscrowError("the TOTP engine refused the code of %s as already used; wait for the next code "
                                  "and try again; nothing was recorded" % entry.user) from None
            return None  # malformed
        valid = bool(((answer or {}).get("data") or {}).get("valid"))
        return time_step(entry.period) if valid else None

    def device_verifier(self):
        return lambda entry, code, window: self._verify_entry(entry, code)
