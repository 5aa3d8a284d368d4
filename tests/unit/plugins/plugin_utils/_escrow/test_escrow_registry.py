# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backend names of the escrow option and the classes that serve them are one table."""
from __future__ import annotations

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils import _escrow_spec
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow import registry
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import Escrow, EscrowError


def test_every_backend_name_of_the_option_has_a_class_and_every_class_a_name():
    assert sorted(registry.BACKEND_CLASSES) == sorted(_escrow_spec.BACKENDS)
    assert _escrow_spec.SUBOPTIONS["backend"]["choices"] == list(_escrow_spec.BACKENDS)
    assert all(issubclass(cls, Escrow) for cls in registry.BACKEND_CLASSES.values())


def test_an_unknown_backend_is_refused_naming_the_choices():
    with pytest.raises(EscrowError, match="unknown escrow backend 'sqlite': choose one of file, kv, totp_engine"):
        registry.open_escrow({"backend": "sqlite"})


def test_a_relative_dir_is_relative_to_the_playbooks_folder(tmp_path):
    store = registry.open_escrow({"dir": "escrow"}, basedir=str(tmp_path))
    assert store.location("nas1") == str(tmp_path / "escrow" / "nas1.yml")
    assert registry.open_escrow({}, basedir=str(tmp_path)).location("nas1") == str(tmp_path / "fleet2fa-escrow" / "nas1.yml")
