# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file backend of the escrow, one vault-encrypted YAML file a host.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

``<dir>/<host>.yml``, 0600, in a 0700 folder, encrypted with the play's vault secrets so that
``ansible-vault view`` alone is enough to break glass. A writer takes an exclusive ``flock`` on
``<dir>/.<host>.yml.lock`` (released by the kernel if the writer dies, so a killed fork never
leaves a stale lock), reads, writes a temporary file in the same folder, fsyncs it and moves it into
place with ``os.replace``: readers see the old file or the new one, never half of one.

The folder is checked as the QR and report folders are (plugin_utils/_files.py ``check_dir``): a
symbolic link, a folder of another user or one that group or others may write to is refused with an
error naming ``escrow.dir``, before anything is read or written. Entry and lock files are opened with
O_NOFOLLOW: a link in their place is refused, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
import time

import yaml

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, is_encrypted, match_encrypt_secret

from ansible_collections.fleet2fa.nas.plugins.module_utils._escrow_spec import DEFAULT_DIR
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import plain
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import (
    STAGED,
    Escrow,
    EscrowError,
    check_host_doc,
    check_name,
    new_host_doc,
)
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import FileWriteError, atomic_write, check_dir, ensure_dir

LOCK_TIMEOUT = 60
# The option a folder error names (the roles set it from fleet2fa_escrow_dir).
OPTION = "escrow.dir"


def _refusal(path, exc, what):
    """The message for a file that could not be opened; a symbolic link is named as such."""
    if exc.errno == errno.ELOOP:
        return "%s %s is a symbolic link; it is not followed (remove it); nothing was changed" % (what, path)
    return "cannot open %s %s: %s; nothing was changed" % (what, path, exc.strerror)


class VaultFileEscrow(Escrow):
    backend = "file"

    def __init__(self, escrow_dir, vault_secrets):
        super().__init__({"dir": escrow_dir})
        self.escrow_dir = escrow_dir
        self.vault_secrets = list(vault_secrets or [])

    @classmethod
    def open(cls, opts, vault_secrets=None, basedir=None):
        """The folder ``dir`` (``~`` expanded; relative to the playbook's folder), with the play's vault secrets."""
        escrow_dir = os.path.expanduser(opts.get("dir") or DEFAULT_DIR)
        if not os.path.isabs(escrow_dir):
            escrow_dir = os.path.join(basedir or os.getcwd(), escrow_dir)
        return cls(escrow_dir, vault_secrets)

    def location(self, host):
        return os.path.join(self.escrow_dir, "%s.yml" % host)

    def _vault(self):
        if not self.vault_secrets:
            raise EscrowError(
                "the file escrow in %s needs the play's vault secret: run ansible-playbook with "
                "--vault-id or --vault-password-file" % self.escrow_dir
            )
        return VaultLib(self.vault_secrets)

    # -- reading ---------------------------------------------------------------------------------
    def _read(self, host):
        path = self.location(host)
        if not self._check_dir():
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise EscrowError(_refusal(path, exc, "escrow entry")) from None
        with os.fdopen(fd, "rb") as f:
            data = f.read()
        return self._decode(data, host, path)

    def _decode(self, data, host, path):
        if not is_encrypted(data):
            raise EscrowError("%s is not an ansible-vault encrypted file; it was left untouched" % path)
        try:
            plaintext = self._vault().decrypt(data)
        except EscrowError:
            raise
        except AnsibleError:
            # The vault's own message can quote the file's first bytes; say it our way.
            raise EscrowError(
                "cannot decrypt %s with the play's vault secrets (wrong vault password or vault id?); "
                "nothing was changed" % path
            ) from None
        try:
            doc = yaml.safe_load(to_text(plaintext, errors="surrogate_or_strict"))
        except (yaml.YAMLError, UnicodeError):
            raise EscrowError("%s decrypts but is not valid YAML; nothing was changed" % path) from None
        return check_host_doc(doc, host, path)

    def _encode(self, doc):
        text = "# fleet2fa.nas escrow: break glass with `ansible-vault view`; see docs/escrow.md\n"
        text += yaml.safe_dump(plain(doc), default_flow_style=False, sort_keys=False)
        vault = self._vault()
        try:
            vault_id, secret = match_encrypt_secret(self.vault_secrets, encrypt_vault_id=C.DEFAULT_VAULT_ENCRYPT_IDENTITY)
        except AnsibleError:
            raise EscrowError("no vault secret is usable to encrypt the escrow (check --vault-id)") from None
        return vault.encrypt(to_bytes(text), secret=secret, vault_id=vault_id)

    # -- writing ---------------------------------------------------------------------------------
    def _check_dir(self):
        """Refuse a symlinked, foreign-owned or group/world-writable folder (_files.check_dir); False when absent."""
        try:
            return check_dir(self.escrow_dir, OPTION)
        except FileWriteError as exc:
            raise EscrowError(str(exc)) from None

    def _ensure_dir(self):
        try:
            ensure_dir(self.escrow_dir, 0o700, OPTION)
        except FileWriteError as exc:
            raise EscrowError(str(exc)) from None

    @contextlib.contextmanager
    def lock(self, host):
        """Exclusive per-host lock, shared by forks and controllers on the same filesystem."""
        check_name(host, "host")
        self._ensure_dir()
        lock_path = os.path.join(self.escrow_dir, ".%s.yml.lock" % host)
        try:
            # O_NOFOLLOW: a link planted at the lock's name (dangling or not) is refused, never created through.
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise EscrowError("%s: %s" % (OPTION, _refusal(lock_path, exc, "lock file"))) from None
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                        raise EscrowError("could not lock %s within %d s" % (lock_path, LOCK_TIMEOUT)) from None
                    time.sleep(0.02)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def _modify(self, host, fn):
        path = self.location(host)
        self._vault()  # no vault secret: fail before anything is created
        with self.lock(host):
            self._remove_stale_temp_files(host)
            doc = self._read(host)
            if doc is None:
                doc = new_host_doc(host)
            new = fn(doc)
            if new is None:
                return doc
            self._atomic_write(path, self._encode(new))
            return new

    def _delete(self, host):
        if not self._check_dir():
            return
        with self.lock(host):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.location(host))  # unlink never follows a link

    def staging_options(self):
        return {"dir": os.path.join(self.escrow_dir, STAGED)}

    def staged(self):
        return VaultFileEscrow(self.staging_options()["dir"], self.vault_secrets)

    def check_writable(self, host):
        super().check_writable(host)
        self._encode(new_host_doc(host))  # the vault secret can encrypt, not only decrypt

    def _remove_stale_temp_files(self, host):
        # Only lock holders write temp files, so any left while we hold the lock belong to a dead writer.
        for leftover in glob.glob(os.path.join(glob.escape(self.escrow_dir), ".%s.yml.*.tmp" % glob.escape(host))):
            with contextlib.suppress(OSError):
                os.unlink(leftover)

    @staticmethod
    def _atomic_write(path, data):
        try:
            atomic_write(path, data)
        except FileWriteError as exc:
            raise EscrowError("%s; the previous file is intact" % exc) from None
