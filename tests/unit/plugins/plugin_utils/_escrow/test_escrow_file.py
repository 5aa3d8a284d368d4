# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import multiprocessing
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry, EscrowError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow

VAULT_SECRETS = [("default", VaultSecret(b"correct horse battery staple"))]


def plaintext(path):
    with open(path, "rb") as f:
        return yaml.safe_load(VaultLib(VAULT_SECRETS).decrypt(f.read()))


def entry(user="root", account=None):
    return EscrowEntry.new(user, TotpKey.generate(), account=account or "%s@nas1" % user)


def test_first_secret_is_kept_in_a_0600_vault_file_in_a_0700_folder(store, escrow_dir):
    stored, created = store.put_once("nas1", "root", entry())
    path = os.path.join(escrow_dir, "nas1.yml")
    assert created
    assert stat.S_IMODE(os.stat(escrow_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, "rb") as f:
        assert f.read().startswith(b"$ANSIBLE_VAULT;1.1;AES256")
    doc = plaintext(path)
    assert doc["users"]["root"]["secret"] == stored.key.secret
    assert doc["users"]["root"]["digits"] == 6 and doc["users"]["root"]["interval"] == 30
    assert doc["users"]["root"]["devices"] == []
    assert doc["users"]["root"]["fingerprint"] == stored.fingerprint


def test_put_once_never_overwrites_an_escrowed_secret(store):
    first, created = store.put_once("nas1", "root", entry())
    second, created_again = store.put_once("nas1", "root", entry())
    assert created and not created_again
    assert second.key == first.key
    assert store.get("nas1", "root").key == first.key


def test_replace_rotates_keeps_created_and_forgets_devices(store):
    first, dummy = store.put_once("nas1", "root", entry())
    store.update("nas1", "root", lambda e: (e.devices.append({"name": "primary", "verified": True}), e)[1])
    rotated = store.replace("nas1", "root", entry())
    again = store.get("nas1", "root")
    assert again.key == rotated.key != first.key
    assert again.created == first.created and again.rotated
    assert again.devices == []


def test_users_of_one_host_share_its_file(store, escrow_dir):
    store.put_once("nas1", "root", entry())
    store.put_once("nas1", "admin", entry("admin"))
    assert store.users("nas1") == ["admin", "root"]
    assert sorted(os.listdir(escrow_dir)) == [".nas1.yml.lock", "nas1.yml"]


def test_update_that_changes_nothing_does_not_touch_the_file(store, escrow_dir):
    store.put_once("nas1", "root", entry())
    path = os.path.join(escrow_dir, "nas1.yml")
    before = os.stat(path).st_mtime_ns
    dummy, changed = store.update("nas1", "root", lambda e: e)
    assert not changed and os.stat(path).st_mtime_ns == before


def test_wrong_vault_password_is_a_clear_error_and_nothing_is_written(store, escrow_dir):
    store.put_once("nas1", "root", entry())
    path = os.path.join(escrow_dir, "nas1.yml")
    with open(path, "rb") as f:
        before = f.read()
    wrong = open_escrow({"dir": escrow_dir}, vault_secrets=[("default", VaultSecret(b"wrong"))])
    for attempt in (lambda: wrong.get("nas1", "root"), lambda: wrong.put_once("nas1", "admin", entry("admin"))):
        with pytest.raises(EscrowError, match="cannot decrypt .*nas1.yml with the play's vault secrets"):
            attempt()
    with open(path, "rb") as f:
        assert f.read() == before


def test_missing_vault_secret_is_a_clear_error_and_creates_nothing(escrow_dir):
    store = open_escrow({"dir": escrow_dir}, vault_secrets=[])
    with pytest.raises(EscrowError, match="--vault-password-file"):
        store.put_once("nas1", "root", entry())
    assert not os.path.exists(escrow_dir)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"users:\n  root:\n    secret: AAAA\n", "not an ansible-vault encrypted file"),
        (b"\x00\x01garbage", "not an ansible-vault encrypted file"),
        ("vault", "not a fleet2fa escrow document"),
        ("other-host", "belongs to host 'nas2'"),
        ("other-format", "has format"),
    ],
)
def test_corrupt_or_foreign_file_is_refused_and_left_untouched(store, escrow_dir, content, message):
    os.makedirs(escrow_dir, mode=0o700)
    path = os.path.join(escrow_dir, "nas1.yml")
    if content == "vault":
        content = VaultLib(VAULT_SECRETS).encrypt(b"just: a vault file\n")
    elif content == "other-host":
        content = VaultLib(VAULT_SECRETS).encrypt(b"format: fleet2fa.nas/escrow/v1\nhost: nas2\nusers: {}\n")
    elif content == "other-format":
        content = VaultLib(VAULT_SECRETS).encrypt(b"format: someone-else/v9\nusers: {}\n")
    with open(path, "wb") as f:
        f.write(content)
    with pytest.raises(EscrowError, match=message):
        store.put_once("nas1", "root", entry())
    with open(path, "rb") as f:
        assert f.read() == content


@pytest.mark.parametrize("host", ["../x", "/", "", ".", "..", "a/b", ".hidden"])
def test_host_names_that_are_not_one_path_component_are_refused(store, escrow_dir, host):
    with pytest.raises(EscrowError, match="cannot be used in the escrow"):
        store.put_once(host, "root", entry())
    assert not os.path.exists(escrow_dir)


def _add_user(escrow_dir, index):
    store = open_escrow({"dir": escrow_dir}, vault_secrets=VAULT_SECRETS)
    store.put_once("nas1", "user%02d" % index, entry("user%02d" % index))


def test_parallel_writers_to_one_host_lose_nothing(escrow_dir):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_add_user, args=(escrow_dir, i)) for i in range(24)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = open_escrow({"dir": escrow_dir}, vault_secrets=VAULT_SECRETS)
    assert store.users("nas1") == ["user%02d" % i for i in range(24)]


ROTATOR = r"""
import sys
from ansible.parsing.vault import VaultSecret
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
store = open_escrow({"dir": sys.argv[1]}, vault_secrets=[("default", VaultSecret(b"correct horse battery staple"))])
print("ready", flush=True)
while True:
    store.replace("nas1", "root", EscrowEntry.new("root", TotpKey.generate()))
"""


def test_writer_killed_mid_write_leaves_a_whole_file(store, escrow_dir):
    store.put_once("nas1", "root", entry())
    for delay in (0.05, 0.13, 0.21, 0.34):
        child = subprocess.Popen([sys.executable, "-c", ROTATOR, escrow_dir], stdout=subprocess.PIPE,
                                 env=dict(os.environ))
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert store.get("nas1", "root").key is not None  # decrypts and parses
    # The next writer takes the lock at once (the kernel dropped the dead one's) and clears its temp files.
    dummy, changed = store.update("nas1", "root", lambda e: (e.devices.append({"name": "x", "verified": False}), e)[1])
    assert changed
    assert sorted(os.listdir(escrow_dir)) == [".nas1.yml.lock", "nas1.yml"]


def test_keys_this_version_does_not_know_survive_an_update(store, escrow_dir):
    store.put_once("nas1", "root", entry())
    store.update("nas1", "root", lambda e: (e.extra.update(admin_note={"by": "ops", "ticket": 42}), e)[1])
    store.update("nas1", "root", lambda e: (e.devices.append({"name": "primary", "verified": True}), e)[1])
    doc = plaintext(os.path.join(escrow_dir, "nas1.yml"))["users"]["root"]
    assert doc["admin_note"] == {"by": "ops", "ticket": 42}
    assert doc["devices"] == [{"name": "primary", "verified": True}]


def test_entries_lists_every_user_of_a_host_with_the_fields_an_update_added(store):
    store.put_once("nas1", "root", entry())
    store.put_once("nas1", "admin", entry("admin"))

    def proven(current):
        current.last_proven_login = "2026-11-28T18:00:00Z"
        return current

    store.update("nas1", "root", proven)
    listed = store.entries("nas1")
    assert [e.user for e in listed] == ["admin", "root"]
    assert [e.fingerprint for e in listed] == [store.get("nas1", u).fingerprint for u in ("admin", "root")]
    assert listed[1].last_proven_login == "2026-11-28T18:00:00Z"
    assert store.entries("nas2") == []
