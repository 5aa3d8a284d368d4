# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookups take the escrow option as the modules do, checked against the same spec."""
from __future__ import annotations

import time

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret
from ansible.plugins.loader import lookup_loader

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry

VAULT_SECRETS = [("default", VaultSecret(b"lookup test vault secret"))]


@pytest.fixture
def escrowed(tmp_path):
    options = {"dir": str(tmp_path / "escrow")}
    key = TotpKey.generate()
    open_escrow(options, vault_secrets=VAULT_SECRETS).put_once("nas1", "root", EscrowEntry.new("root", key))
    return options, key


def _lookup(name):
    loader = DataLoader()
    loader.set_vault_secrets(VAULT_SECRETS)
    return lookup_loader.get(name, loader=loader)


def test_totp_escrow_and_totp_code_read_the_escrow_named_by_the_option(escrowed):
    options, key = escrowed
    assert _lookup("fleet2fa.nas.totp_escrow").run(["nas1"], {}, escrow=options) == [key.secret]
    assert _lookup("fleet2fa.nas.totp_escrow").run(["nas1"], {}, escrow=options, encoding="hex") == [key.hex]
    before = time.time()
    (code,) = _lookup("fleet2fa.nas.totp_code").run(["nas1"], {}, escrow=options)
    assert code in {key.code_at(before), key.code_at(time.time())}


@pytest.mark.parametrize("escrow, message", [
    ({"directory": "x"}, "escrow: Unsupported parameters"),
    ({"backend": "sqlite"}, "value of backend must be one of: file, kv, totp_engine, got: sqlite"),
    ({"backend": "kv", "token": "s.topsecret", "timeout": "soon"}, "timeout"),
])
def test_a_bad_escrow_option_is_refused_naming_the_problem_and_never_the_token(escrow, message):
    with pytest.raises(AnsibleLookupError) as refused:
        _lookup("fleet2fa.nas.totp_code").run(["nas1"], {}, escrow=escrow)
    assert message in str(refused.value)
    assert "s.topsecret" not in str(refused.value)
