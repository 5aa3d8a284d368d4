# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backend recipe of docs/extending.md holds: a class, its row in the registry and its name in the
escrow spec are all the actions and lookups need to use a new backend."""
from __future__ import annotations

import copy

from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader

from ansible_collections.fleet2fa.nas.plugins.module_utils import _escrow_spec
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow import registry
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import Escrow, new_host_doc


class MemoryEscrow(Escrow):
    """A backend that keeps the host documents in this process."""

    backend = "memory"
    documents = {}

    def location(self, host):
        return "memory:%s" % host

    def _read(self, host):
        return copy.deepcopy(self.documents.get(host))

    def _modify(self, host, fn):
        doc = self._read(host) or new_host_doc(host)
        new = fn(doc)
        if new is None:
            return doc
        self.documents[host] = copy.deepcopy(new)
        return new


def test_a_new_backend_serves_the_actions_and_lookups_with_no_other_change(monkeypatch, make_action):
    monkeypatch.setitem(registry.BACKEND_CLASSES, "memory", MemoryEscrow)
    monkeypatch.setattr(_escrow_spec, "BACKENDS", _escrow_spec.BACKENDS + ("memory",))
    monkeypatch.setitem(_escrow_spec.SUBOPTIONS["backend"], "choices", list(_escrow_spec.BACKENDS))
    monkeypatch.setattr(MemoryEscrow, "documents", {})
    action = make_action("fleet2fa.nas.totp_secret", {"escrow": {"backend": "memory"}}, connection="local")
    result = action.run(task_vars={"inventory_hostname": "nas1"})
    assert result["changed"] is True and result["backend"] == "memory" and result["location"] == "memory:nas1"
    assert MemoryEscrow.documents["nas1"]["users"]["root"]["fingerprint"] == result["fingerprint"]
    secret = lookup_loader.get("fleet2fa.nas.totp_escrow", loader=DataLoader()).run(["nas1"], {}, escrow={"backend": "memory"})
    assert secret == [MemoryEscrow.documents["nas1"]["users"]["root"]["secret"]]
