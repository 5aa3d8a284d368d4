# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.state import failure_limits, stig_readiness
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.version import (
    SUPPORTED,
    SUPPORTED_RELEASES,
    UnsupportedVersionError,
    capabilities,
    parse_version,
)

with open(os.path.join(os.path.dirname(__file__), "truenas_cases.yml")) as cases_file:
    CASES = yaml.safe_load(cases_file)


@pytest.mark.parametrize("case", CASES["profiles"], ids=lambda c: c["version"])
def test_version_string_maps_to_its_release_line_profile(case):
    caps = capabilities(case["version"], host="nas1")
    assert caps.profile == case["profile"]
    shown = caps.as_dict()
    for name, value in case["expect"].items():
        assert shown[name] == value, name


@pytest.mark.parametrize("case", CASES["unsupported"], ids=lambda c: c["version"] or "empty")
def test_unsupported_version_is_refused_naming_host_and_version(case):
    with pytest.raises(UnsupportedVersionError) as caught:
        capabilities(case["version"], host="nas9")
    message = str(caught.value)
    assert message.startswith("nas9 ")
    assert case["error"] in message
    if case["version"]:
        assert case["version"] in message


@pytest.mark.parametrize("case", CASES["interval_allowed"], ids=lambda c: "%s-%s" % (c["version"], c["interval"]))
def test_interval_acceptance_follows_the_version(case):
    assert capabilities(case["version"]).interval_allowed(case["interval"]) is case["allowed"]


def test_parsed_version_orders_by_numbers_not_text():
    assert parse_version("TrueNAS-25.10.0").tuple > parse_version("TrueNAS-25.04.2").tuple
    assert parse_version("TrueNAS-13.0-U6.7").is_core
    assert not parse_version("TrueNAS-SCALE-22.12.4").is_core


def test_every_listed_release_has_a_profile_and_the_next_major_is_refused_naming_the_newest():
    for release in SUPPORTED_RELEASES:
        assert capabilities("TrueNAS-%s.0" % release).profile in SUPPORTED
    newest = int(SUPPORTED_RELEASES[-1].split(".")[0])
    with pytest.raises(UnsupportedVersionError, match=r"newer than the newest release line this collection knows \(%d\)"
                       % newest):
        capabilities("TrueNAS-%d.04.0" % (newest + 1))


@pytest.mark.parametrize("version,tries,lockout,faillock", [
    ("TrueNAS-13.0-U6.7", None, None, None),
    ("TrueNAS-SCALE-24.10.2", None, None, None),
    ("TrueNAS-25.04.2", 3, "pam_faillock", [3, 900]),
    ("TrueNAS-25.10.0", 3, "pam_faillock", [3, 900]),
    ("TrueNAS-26.0.0", None, "pam_truenas", None),
])
def test_failure_limits_follow_the_release_line(version, tries, lockout, faillock):
    shown = capabilities(version).as_dict()
    assert (shown["otp_tries_per_login"], shown["stig_lockout"], shown["stig_faillock"]) == (tries, lockout, faillock)


@pytest.mark.parametrize("version,security,expected", [
    # No STIG mode before 25.04: nothing to read, and nothing locks.
    ("TrueNAS-SCALE-24.10.2", None, {"stig": False, "otp_tries_per_login": None, "lockout": None}),
    ("TrueNAS-25.10.0", {"id": 1, "enable_fips": False, "enable_gpos_stig": False},
     {"stig": False, "otp_tries_per_login": 3, "lockout": None}),
    ("TrueNAS-25.10.0", {"id": 1, "enable_fips": True, "enable_gpos_stig": True},
     {"stig": True, "otp_tries_per_login": 3, "lockout": {"by": "pam_faillock", "deny": 3, "unlock_time": 900}}),
    # 26 keeps its STIG lockout's numbers in pam_truenas: said, not guessed.
    ("TrueNAS-26.0.0", {"id": 1, "enable_fips": True, "enable_gpos_stig": True},
     {"stig": True, "otp_tries_per_login": None, "lockout": {"by": "pam_truenas", "deny": None, "unlock_time": None}}),
    # system.security.config unreadable (role, transport): unknown, not "off".
    ("TrueNAS-25.04.2", None, {"stig": None, "otp_tries_per_login": 3, "lockout": None}),
])
def test_failure_limits_combine_the_line_and_the_security_config(version, security, expected):
    assert failure_limits(capabilities(version), security) == expected


def _user(name, **over):
    row = {"username": name, "local": True, "locked": False, "immutable": False, "password_disabled": False,
           "twofactor_auth_configured": False, "roles": []}
    row.update(over)
    return row


ON = {"enabled": True, "ssh": True}
ROOT = _user("root", immutable=True, roles=["FULL_ADMIN"], twofactor_auth_configured=True)


@pytest.mark.parametrize("config,rows,missing", [
    (ON, [dict(ROOT, password_disabled=True), _user("alice", roles=["FULL_ADMIN"], twofactor_auth_configured=True)], []),
    # Root with a secret counts as the full admin, as the box counts it, but keeps password login.
    (ON, [ROOT], ["built-in admin accounts keep password login: root"]),
    ({"enabled": True, "ssh": False}, [dict(ROOT, password_disabled=True)], ["2FA is not enabled for SSH"]),
    ({"enabled": False, "ssh": False}, [dict(ROOT, password_disabled=True, twofactor_auth_configured=False)],
     ["2FA is not enabled globally", "no local user has a 2FA secret"]),
    # A secret on a user who is no full admin; a locked full admin does not count.
    (ON, [dict(ROOT, password_disabled=True, twofactor_auth_configured=False), _user("bob", twofactor_auth_configured=True),
          _user("carol", roles=["FULL_ADMIN"], twofactor_auth_configured=True, locked=True)],
     ["no local full admin has a 2FA secret"]),
])
def test_stig_readiness_follows_the_boxs_own_checks(config, rows, missing):
    assert stig_readiness(capabilities("TrueNAS-25.10.0"), config, rows) == {"ready": not missing, "missing": missing}


def test_no_stig_readiness_before_25_04():
    assert stig_readiness(capabilities("TrueNAS-SCALE-24.10.2"), ON, [ROOT]) is None
