# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible.parsing.vault import VaultSecret

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow

VAULT_SECRETS = [("default", VaultSecret(b"correct horse battery staple"))]


@pytest.fixture
def escrow_dir(tmp_path):
    return str(tmp_path / "escrow")


@pytest.fixture
def store(escrow_dir):
    return open_escrow({"dir": escrow_dir}, vault_secrets=VAULT_SECRETS)
