# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry


def _stamp(entry):
    entry.last_proven_login = "2026-12-01T08:00:00Z"
    return entry


def test_last_proven_login_is_kept_across_later_updates_and_shown_in_public(store):
    store.put_once("nas1", "root", EscrowEntry.new("root", TotpKey.generate()))
    entry, changed = store.update("nas1", "root", _stamp)
    assert changed and entry.last_proven_login == "2026-12-01T08:00:00Z"

    def add_device(e):
        e.devices.append({"name": "primary", "verified": True})
        return e

    store.update("nas1", "root", add_device)
    again = store.get("nas1", "root")
    assert again.last_proven_login == "2026-12-01T08:00:00Z"
    assert again.public()["last_proven_login"] == "2026-12-01T08:00:00Z"
    assert "secret" not in again.public()


def test_stamping_the_same_time_again_is_no_change(store):
    store.put_once("nas1", "root", EscrowEntry.new("root", TotpKey.generate()))
    store.update("nas1", "root", _stamp)
    _entry, changed = store.update("nas1", "root", _stamp)
    assert not changed
