# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A staged rotation: the host's escrow document is untouched until commit, and discard leaves it byte for byte."""

from __future__ import annotations

import os

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow import rotation
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.openbao import TotpEngineEscrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry, EscrowError

VAULT_SECRETS = [("default", VaultSecret(b"correct horse battery staple"))]


def entry(user="root"):
    return EscrowEntry.new(user, TotpKey.generate(), account="%s@nas1" % user)


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture
def escrowed(tmp_path):
    """A store with root and admin escrowed on nas1, root's device verified."""
    store = open_escrow({"dir": str(tmp_path / "escrow")}, vault_secrets=VAULT_SECRETS)
    store.put_once("nas1", "root", entry())
    store.put_once("nas1", "admin", entry("admin"))
    store.update("nas1", "root", lambda e: (e.devices.append({"name": "primary", "verified": True}), e)[1])
    return store


def test_staging_leaves_the_host_document_byte_for_byte_and_the_staged_copy_holds_the_new_key(escrowed):
    path = escrowed.location("nas1")
    before, old = file_bytes(path), escrowed.get("nas1", "root")
    new = rotation.stage(escrowed, "nas1", "root", entry())
    assert file_bytes(path) == before
    staged = escrowed.staged()
    assert staged.location("nas1") == os.path.join(os.path.dirname(path), ".staged", "nas1.yml")
    assert staged.get("nas1", "root").key == new.key != old.key
    assert staged.get("nas1", "admin") == escrowed.get("nas1", "admin")  # the activation reads every user
    assert new.created == old.created and new.rotated and new.devices == []
    assert rotation.staged_users(escrowed, "nas1") == ["root"]


def test_discard_removes_the_staged_copy_and_the_host_document_was_never_written(escrowed):
    path = escrowed.location("nas1")
    before, mtime = file_bytes(path), os.stat(path).st_mtime_ns
    rotation.stage(escrowed, "nas1", "root", entry())
    assert rotation.discard(escrowed, "nas1") == ["root"]
    assert file_bytes(path) == before and os.stat(path).st_mtime_ns == mtime
    assert not os.path.lexists(escrowed.staged().location("nas1"))
    assert rotation.discard(escrowed, "nas1") == []


def test_commit_swaps_the_staged_users_in_and_keeps_what_changed_meanwhile_for_the_others(escrowed):
    new_root = rotation.stage(escrowed, "nas1", "root", entry())
    escrowed.update("nas1", "admin", lambda e: (e.devices.append({"name": "phone", "verified": True}), e)[1])
    assert rotation.commit(escrowed, "nas1") == ["root"]
    assert escrowed.get("nas1", "root").key == new_root.key
    assert escrowed.get("nas1", "root").devices == []
    assert [d["name"] for d in escrowed.get("nas1", "admin").devices] == ["phone"]
    assert not os.path.lexists(escrowed.staged().location("nas1"))
    assert rotation.commit(escrowed, "nas1") == []  # a re-run swaps nothing


def test_two_users_staged_in_one_run_are_swapped_together(escrowed):
    root = rotation.stage(escrowed, "nas1", "root", entry())
    admin = rotation.stage(escrowed, "nas1", "admin", entry("admin"))
    assert rotation.staged_users(escrowed, "nas1") == ["admin", "root"]
    rotation.commit(escrowed, "nas1")
    assert escrowed.get("nas1", "root").key == root.key and escrowed.get("nas1", "admin").key == admin.key


def test_a_staged_copy_made_from_an_older_document_is_started_over(escrowed):
    stale = rotation.stage(escrowed, "nas1", "admin", entry("admin"))
    escrowed.update("nas1", "root", lambda e: (e.devices.append({"name": "backup", "verified": True}), e)[1])
    rotation.stage(escrowed, "nas1", "root", entry())
    assert rotation.staged_users(escrowed, "nas1") == ["root"]
    assert escrowed.staged().get("nas1", "admin").key != stale.key


def test_the_staged_copy_is_a_plain_escrow_document_for_break_glass(escrowed):
    rotation.stage(escrowed, "nas1", "root", entry())
    with open(escrowed.staged().location("nas1"), "rb") as f:
        doc = yaml.safe_load(VaultLib(VAULT_SECRETS).decrypt(f.read()))
    assert doc["format"] == "fleet2fa.nas/escrow/v1" and doc["host"] == "nas1"
    assert doc["staged_rotation"]["users"] == ["root"] and doc["staged_rotation"]["from"].startswith("sha256:")
    assert set(doc["users"]) == {"root", "admin"}
    assert os.stat(os.path.dirname(escrowed.staged().location("nas1"))).st_mode & 0o777 == 0o700


def test_the_totp_engine_cannot_stage_and_says_so():
    store = TotpEngineEscrow.__new__(TotpEngineEscrow)  # no server needed: the answer is the class's
    with pytest.raises(EscrowError, match="the totp_engine escrow cannot stage a rotation: use a file or kv escrow"):
        store.staging_options()


def test_check_writable_refuses_a_wrong_vault_password_before_anything_happens(escrowed, tmp_path):
    wrong = open_escrow({"dir": str(tmp_path / "escrow")}, vault_secrets=[("default", VaultSecret(b"wrong"))])
    before = file_bytes(escrowed.location("nas1"))
    with pytest.raises(EscrowError, match="cannot decrypt"):
        wrong.check_writable("nas1")
    assert file_bytes(escrowed.location("nas1")) == before
    escrowed.check_writable("nas2")
    assert not os.path.exists(escrowed.location("nas2"))
