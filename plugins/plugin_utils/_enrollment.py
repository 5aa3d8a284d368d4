# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Devices enrolled for a user's secret: recorded after a code from the device checks out.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Each device that holds the secret (a primary and a backup, as the TrueNAS docs advise) is recorded in
the escrow entry with its name, when it was added and how it was verified. A code is accepted once:
the entry keeps the last time step a code was verified for, and a code of that step or an older one
is refused (RFC 6238 section 5.2). Two devices that hold one secret show the same code in the same
step, so the second device is verified with a code of a later step.

``verify_from_escrow_for_labs`` marks devices verified with a code computed from the escrow itself:
it proves nothing about a device and exists for labs and CI only.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import validate_window
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import utcnow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError

LAB_SWITCH = "verify_from_escrow_for_labs"


def check_device_list(devices, need_codes):
    """Device requests as a list of (name, code); duplicate or empty names are errors."""
    seen = set()
    out = []
    for index, device in enumerate(devices or []):
        name = device.get("name") if isinstance(device, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise EscrowError("devices[%d] needs a non-empty name" % index)
        name = name.strip()
        if name in seen:
            raise EscrowError("device name %r is given more than once; device names must be unique" % name)
        seen.add(name)
        code = device.get("code")
        if code is not None:
            code = str(code).strip()
        if need_codes and not code:
            raise EscrowError(
                "device %r needs the code it shows now (or %s=true in a lab)" % (name, LAB_SWITCH)
            )
        out.append((name, code))
    return out


class DeviceEnrollment:
    """Enrollment changes for one user on one host, applied to escrow entries.

    ``verifier(entry, code, window)`` returns the matching time step or None; by default it checks
    against the entry's key. The TOTP engine backend passes one that asks the engine, which refuses
    reused codes itself (``replay_guard=False``: its time steps are not ours to compare).
    """

    def __init__(self, host, user, window=1, lab_verify=False, verifier=None, replay_guard=True, now=None):
        self.host = host
        self.replay_guard = replay_guard
        self.user = user
        self.window = validate_window(window)
        self.lab_verify = lab_verify
        self.verifier = verifier or self._verify_with_key
        self.now = now

    def _verify_with_key(self, entry, code, window):
        return entry.key.matching_step(code, window=window, at=self.now)

    def add(self, entry, devices):
        """Record the devices not recorded yet (or not verified yet); returns the names added."""
        requests = check_device_list(devices, need_codes=not self.lab_verify)
        recorded = {d["name"]: d for d in entry.devices}
        added = []
        for name, code in requests:
            if recorded.get(name, {}).get("verified"):
                continue
            when = utcnow()
            if self.lab_verify:
                how = "escrow-lab-switch"
            else:
                step = self.verifier(entry, code, self.window)
                if step is None:
                    raise EscrowError(
                        "the code given for device %r does not match the secret of %s on %s within %d time "
                        "step(s); nothing was recorded" % (name, self.user, self.host, self.window)
                    )
                last = entry.last_verified_step if self.replay_guard else None
                if last is not None and step <= last:
                    raise EscrowError(
                        "the code given for device %r was already used (time step %d); wait for the next code "
                        "of the device and try again; nothing was recorded" % (name, step)
                    )
                if self.replay_guard:
                    entry.last_verified_step = step
                how = "code"
            record = recorded.get(name)
            if record is None:
                record = {"name": name, "added": when}
                entry.devices.append(record)
                recorded[name] = record
            record.update(verified=True, verified_at=when, verified_by=how)
            added.append(name)
        return added

    @staticmethod
    def remove(entry, names):
        check_device_list([{"name": n} for n in names or []], need_codes=False)
        before = len(entry.devices)
        entry.devices = [d for d in entry.devices if d["name"] not in set(names)]
        return before != len(entry.devices)

    def status(self, entry, min_devices):
        verified = [d["name"] for d in entry.verified_devices]
        return {
            "devices": [dict(d) for d in entry.devices],
            "verified_devices": verified,
            "verified_count": len(verified),
            "min_devices": min_devices,
            "meets_min_devices": len(verified) >= min_devices,
        }

    def min_devices_error(self, entry, min_devices):
        count = len(entry.verified_devices)
        if count >= min_devices:
            return None
        return (
            "%s on %s has %d verified device(s); activation needs at least %d (min_devices), so that losing "
            "one device does not lock the user out" % (self.user, self.host, count, min_devices)
        )
