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


def test_the_last_step_the_host_took_is_kept_in_the_escrow_and_absent_until_known(store):
    store.put_once("nas1", "root", EscrowEntry.new("root", TotpKey.generate()))
    assert store.get("nas1", "root").last_otp_step is None
    assert "last_otp_step" not in store.get("nas1", "root").to_doc()

    def took(e):
        e.last_otp_step = 60_000_001
        return e

    store.update("nas1", "root", took)
    store.update("nas1", "root", _stamp)
    again = store.get("nas1", "root")
    assert again.last_otp_step == 60_000_001 and again.to_doc()["last_otp_step"] == 60_000_001
    assert "last_otp_step" not in again.extra
