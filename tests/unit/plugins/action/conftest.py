# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugins of the collection, made by ansible-core's own loaders from a task as a play writes it.

``make_action("fleet2fa.nas.login_proof", {...}, connection_vars={...})`` gives the plugin with a real
``ssh`` connection plugin whose options come from those variables (as the task executor sets them)
and a DataLoader holding the test vault secret. Nothing connects anywhere until the plugin does.
"""
from __future__ import annotations

import socket

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import action_loader, connection_loader
from ansible.template import Templar

from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow

VAULT_SECRETS = [("default", VaultSecret(b"correct horse battery staple"))]


@pytest.fixture
def make_action():
    def make(name, args, connection="ssh", connection_vars=None, check_mode=False):
        loader = DataLoader()
        loader.set_vault_secrets(VAULT_SECRETS)
        play_context = PlayContext()
        task = Task.load({name: args, "check_mode": check_mode}, loader=loader)
        conn = connection_loader.get(connection, play_context, None)
        conn.set_options(var_options=dict(connection_vars or {}))
        return action_loader.get(task.action, task=task, connection=conn, play_context=play_context, loader=loader,
                                 templar=Templar(loader=loader), shared_loader_obj=None)
    return make


@pytest.fixture
def closed_port():
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def escrow(tmp_path):
    """(the ``escrow`` option of a file escrow in a fresh folder, its store) with the test vault secret."""
    options = {"dir": str(tmp_path / "escrow")}
    return options, open_escrow(options, vault_secrets=VAULT_SECRETS)
