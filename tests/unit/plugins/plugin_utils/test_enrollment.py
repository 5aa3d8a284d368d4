# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._enrollment import DeviceEnrollment
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry, EscrowError

NOW = 1_800_000_000.0  # a fixed instant, in the middle of a 30 s step


@pytest.fixture
def entry():
    return EscrowEntry.new("root", TotpKey.generate(), account="root@nas1")


def enrollment(**kwargs):
    return DeviceEnrollment("nas1", "root", now=kwargs.pop("now", NOW), **kwargs)


def test_device_with_the_current_code_is_recorded_as_verified(entry):
    added = enrollment().add(entry, [{"name": "primary", "code": entry.key.code_at(NOW)}])
    assert added == ["primary"]
    (device,) = entry.devices
    assert device["name"] == "primary" and device["verified"] and device["verified_by"] == "code"
    assert device["added"] and device["verified_at"]


def test_code_within_the_window_is_accepted_and_outside_refused(entry):
    assert enrollment(window=1).add(entry.copy(), [{"name": "a", "code": entry.key.code_at(NOW - 30)}]) == ["a"]
    with pytest.raises(EscrowError, match="does not match the secret of root on nas1 within 1 time step"):
        enrollment(window=1).add(entry, [{"name": "a", "code": entry.key.code_at(NOW - 90)}])
    assert entry.devices == []


def test_a_code_is_accepted_once(entry):
    code = entry.key.code_at(NOW)
    enrollment().add(entry, [{"name": "primary", "code": code}])
    with pytest.raises(EscrowError, match="already used"):
        enrollment().add(entry, [{"name": "backup", "code": code}])
    # The backup's code of the next step is fine.
    assert enrollment(now=NOW + 30).add(entry, [{"name": "backup", "code": entry.key.code_at(NOW + 30)}]) == ["backup"]


def test_an_older_code_after_a_newer_one_is_refused(entry):
    enrollment().add(entry, [{"name": "primary", "code": entry.key.code_at(NOW)}])
    with pytest.raises(EscrowError, match="already used"):
        enrollment().add(entry, [{"name": "backup", "code": entry.key.code_at(NOW - 30)}])


def test_duplicate_device_names_are_an_error_and_nothing_is_recorded(entry):
    with pytest.raises(EscrowError, match="'phone' is given more than once"):
        enrollment(lab_verify=True).add(entry, [{"name": "phone"}, {"name": "phone"}])
    assert entry.devices == []


def test_a_device_without_a_code_needs_the_lab_switch(entry):
    with pytest.raises(EscrowError, match="verify_from_escrow_for_labs"):
        enrollment().add(entry, [{"name": "primary"}])


def test_lab_switch_marks_devices_verified_and_says_so(entry):
    assert enrollment(lab_verify=True).add(entry, [{"name": "primary"}, {"name": "backup"}]) == ["primary", "backup"]
    assert {d["verified_by"] for d in entry.devices} == {"escrow-lab-switch"}
    assert entry.last_verified_step is None


def test_verified_device_is_left_alone_on_a_second_run(entry):
    enrollment(lab_verify=True).add(entry, [{"name": "primary"}])
    before = entry.copy()
    assert enrollment().add(entry, [{"name": "primary", "code": "000000"}]) == []
    assert entry == before


def test_remove_and_min_devices(entry):
    flow = enrollment(lab_verify=True)
    flow.add(entry, [{"name": "primary"}, {"name": "backup"}])
    assert flow.min_devices_error(entry, 2) is None
    assert flow.status(entry, 2)["meets_min_devices"]
    assert DeviceEnrollment.remove(entry, ["backup"])
    assert not DeviceEnrollment.remove(entry, ["backup"])
    assert "has 1 verified device(s); activation needs at least 2" in flow.min_devices_error(entry, 2)
    assert flow.status(entry, 2) | {"devices": None} == {
        "devices": None, "verified_devices": ["primary"], "verified_count": 1, "min_devices": 2, "meets_min_devices": False,
    }
