# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What we send to each version. The box's answers here are fixed inputs, not claims about how a box
behaves: those are proven against the simulator in tests/integration/truenas."""
from __future__ import annotations

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import MiddlewareClient
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.errors import CapabilityError
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.ssh_service import plan_ssh
from ansible_collections.fleet2fa.nas.plugins.module_utils._sealed import SEALED_KEY, seal, unseal
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.twofactor import (
    build_twofactor_update,
    ensure_global,
    ensure_user_secret,
    plan_user_secret,
    public_twofactor_config,
    renew_params,
)
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.version import capabilities

V = {
    "13.0": "TrueNAS-13.0-U6.7",
    "22.12": "TrueNAS-SCALE-22.12.4.2",
    "23.10": "TrueNAS-SCALE-23.10.2",
    "24.10": "TrueNAS-SCALE-24.10.2",
    "25.04": "TrueNAS-25.04.2",
    "25.10": "TrueNAS-25.10.0",
    "26.0": "TrueNAS-26.0.0",
}
PAD = "5a" * 1024
URI = "otpauth://totp/iXsystems:root-nas1%40TrueNAS?secret=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567&issuer=iXsystems"


class Recorder:
    """A transport that answers from a table and records every call."""

    name = "recorder"
    host = "nas1"

    def __init__(self, version, answers):
        self.answers = dict(answers, **{"system.version": version})
        self.calls = []

    def call(self, method, params=(), job=False):
        self.calls.append((method, list(params)))
        answer = self.answers.get(method)
        return answer(*params) if callable(answer) else answer

    def close(self):
        pass

    def methods(self):
        return [method for method, _params in self.calls]


def client(profile, **answers):
    return MiddlewareClient(Recorder(V[profile], {k.replace("__", "."): v for k, v in answers.items()}))


GLOBAL_23 = {"id": 1, "enabled": False, "window": 0, "otp_digits": 6, "interval": 30, "services": {"ssh": False}}
GLOBAL_24 = {"id": 1, "enabled": False, "window": 0, "services": {"ssh": False}}
GLOBAL_CORE = dict(GLOBAL_23, secret="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_23_10_update_never_carries_otp_digits_or_interval():
    caps = capabilities(V["23.10"])
    payload = build_twofactor_update(caps, GLOBAL_23, "nas1", enabled=True, window=1, ssh=False,
                                     otp_digits=6, interval=30)
    assert payload == {"enabled": True, "window": 1}


@pytest.mark.parametrize("name,value", [("otp_digits", 8), ("interval", 60)])
def test_23_10_refuses_to_change_global_digits_or_interval_before_calling_the_box(name, value):
    c = client("23.10", auth__twofactor__config=GLOBAL_23)
    with pytest.raises(CapabilityError, match="wipes every user's 2FA secret"):
        ensure_global(c, False, enabled=True, **{name: value})
    assert "auth.twofactor.update" not in c.transport.methods()


@pytest.mark.parametrize("profile", ["24.10", "25.04", "25.10", "26.0"])
def test_24_04_and_later_never_send_digits_or_interval_to_the_global_update(profile):
    caps = capabilities(V[profile])
    with pytest.raises(CapabilityError, match="per user"):
        build_twofactor_update(caps, GLOBAL_24, "nas1", enabled=True, otp_digits=6)
    assert build_twofactor_update(caps, GLOBAL_24, "nas1", enabled=True, window=1, ssh=True) == {
        "enabled": True, "window": 1, "services": {"ssh": True}}


@pytest.mark.parametrize("profile", ["13.0", "22.12"])
def test_global_era_may_set_digits_and_interval(profile):
    caps = capabilities(V[profile])
    assert build_twofactor_update(caps, GLOBAL_CORE, "nas1", otp_digits=8, interval=60) == {
        "otp_digits": 8, "interval": 60}


def test_unchanged_settings_make_an_empty_update_and_no_call():
    c = client("24.10", auth__twofactor__config=dict(GLOBAL_24, enabled=True, window=1))
    result = ensure_global(c, False, enabled=True, window=1, ssh=False)
    assert result["changed"] is False
    assert "auth.twofactor.update" not in c.transport.methods()


def test_global_secret_never_reaches_the_result():
    caps = capabilities(V["22.12"])
    shown = public_twofactor_config(caps, GLOBAL_CORE)
    assert "secret" not in shown and shown["secret_configured"] is True
    assert GLOBAL_CORE["secret"] not in repr(shown)


@pytest.mark.parametrize("profile,method,params", [
    ("13.0", "auth.twofactor.renew_secret", []),
    ("22.12", "auth.twofactor.renew_secret", []),
    ("23.10", "user.renew_2fa_secret", ["root"]),
    ("24.10", "user.renew_2fa_secret", ["root", {"otp_digits": 6, "interval": 30}]),
    ("26.0", "user.renew_2fa_secret", ["root", {"otp_digits": 6, "interval": 30}]),
])
def test_renewal_request_per_version(profile, method, params):
    assert renew_params(capabilities(V[profile]), "root") == (method, tuple(params))


def plan(profile, **kw):
    args = dict(user="root", state="present", regenerate="never", has_secret=False, escrowed=False,
                global_config=GLOBAL_23)
    args.update(kw)
    return plan_user_secret(capabilities(V[profile]), "nas1", **args)


@pytest.mark.parametrize("profile", list(V))
def test_a_configured_and_escrowed_secret_is_left_alone(profile):
    assert plan(profile, has_secret=True, escrowed=True) == {"action": "none", "read_uri": False}


@pytest.mark.parametrize("profile", list(V))
def test_no_secret_or_regenerate_always_renews(profile):
    assert plan(profile)["action"] == "renew"
    assert plan(profile, has_secret=True, escrowed=True, regenerate="always")["action"] == "renew"


@pytest.mark.parametrize("profile,outcome", [
    ("13.0", "read"), ("22.12", "read"), ("23.10", "read"), ("24.10", "read"),
    ("25.04", "refuse"), ("25.10", "refuse"), ("26.0", "refuse"),
])
def test_secret_missing_from_escrow_is_read_where_the_version_allows_else_rotation_is_asked(profile, outcome):
    if outcome == "read":
        assert plan(profile, has_secret=True) == {"action": "none", "read_uri": True}
    else:
        with pytest.raises(CapabilityError, match="regenerate=always"):
            plan(profile, has_secret=True)


def test_core_has_no_secret_for_users_other_than_root():
    with pytest.raises(CapabilityError, match="root only"):
        plan("13.0", user="admin")
    assert plan("22.12", user="admin")["action"] == "renew"


def test_26_refuses_interval_45_before_calling_the_box():
    c = client("26.0")
    with pytest.raises(CapabilityError, match="interval 45"):
        ensure_user_secret(c, False, "root", interval=45)
    assert c.transport.methods() == ["system.version"]


def test_23_10_user_renewal_sends_no_options_and_reads_the_uri_after():
    c = client("23.10", auth__twofactor__config=GLOBAL_23, user__query=[{"id": 1, "username": "root",
                                                                        "twofactor_auth_configured": False}],
               user__renew_2fa_secret={"id": 1}, user__provisioning_uri=URI)
    result = ensure_user_secret(c, False, "root", otp_digits=6, interval=30, transfer_pad=PAD)
    assert ("user.renew_2fa_secret", ["root"]) in c.transport.calls
    assert c.transport.methods()[-1] == "user.provisioning_uri"
    assert unseal(result[SEALED_KEY], PAD) == URI and result["new_secret"] is True


def test_25_04_takes_the_uri_from_the_renewal_answer():
    c = client("25.04", auth__twofactor__config=GLOBAL_24,
               user__query=[{"id": 1, "username": "root", "twofactor_auth_configured": False}],
               user__renew_2fa_secret={"id": 1, "twofactor_config": {"provisioning_uri": URI}})
    result = ensure_user_secret(c, False, "root", transfer_pad=PAD)
    assert "user.provisioning_uri" not in c.transport.methods()
    assert unseal(result[SEALED_KEY], PAD) == URI
    assert "SECRET" not in result[SEALED_KEY] and URI not in repr(result)


def test_without_a_transfer_pad_the_uri_is_not_returned_at_all():
    c = client("25.04", auth__twofactor__config=GLOBAL_24,
               user__query=[{"id": 1, "username": "root", "twofactor_auth_configured": False}],
               user__renew_2fa_secret={"id": 1, "twofactor_config": {"provisioning_uri": URI}})
    with pytest.raises(CapabilityError, match="action plugin") as caught:
        ensure_user_secret(c, False, "root")
    assert "ABCDEFGH" not in str(caught.value)


def test_sealing_round_trips_and_refuses_a_short_pad():
    assert unseal(seal(URI, PAD), PAD) == URI
    with pytest.raises(ValueError, match="longer than the transfer pad"):
        seal(URI, "00" * 8)


def test_check_mode_calls_nothing_that_writes():
    c = client("25.10", auth__twofactor__config=GLOBAL_24,
               user__query=[{"id": 1, "username": "root", "twofactor_auth_configured": False}])
    result = ensure_user_secret(c, True, "root")
    assert result["changed"] is True and SEALED_KEY not in result
    # Reads only: the version and the user (per-user versions need no global settings for this).
    assert c.transport.methods() == ["system.version", "user.query"]


@pytest.mark.parametrize("profile", ["23.10", "24.10", "25.04"])
def test_unset_is_refused_while_global_2fa_is_on_where_the_version_refuses_it(profile):
    with pytest.raises(CapabilityError, match="disable 2FA first"):
        plan(profile, state="absent", has_secret=True, global_config=dict(GLOBAL_24, enabled=True))
    assert plan("25.10", state="absent", has_secret=True, global_config=dict(GLOBAL_24, enabled=True)) == {
        "action": "unset", "read_uri": False}


@pytest.mark.parametrize("profile,payload,users", [
    ("13.0", {"rootlogin": True}, []),
    ("22.12", {"rootlogin": True, "adminlogin": True}, []),
    ("23.10", {}, [(1, "root"), (3000, "admin")]),
    ("26.0", {}, [(1, "root"), (3000, "admin")]),
])
def test_password_login_goes_where_the_version_keeps_it(profile, payload, users):
    caps = capabilities(V[profile])
    entries = {"root": {"id": 1, "ssh_password_enabled": False}, "admin": {"id": 3000, "ssh_password_enabled": False}}
    got_payload, got_users, dummy = plan_ssh(caps, {"rootlogin": False, "adminlogin": False, "passwordauth": True},
                                             entries, ["root", "admin"], password_auth=True)
    assert got_payload == payload
    assert got_users == users


@pytest.mark.parametrize("profile,method,params,job", [
    ("22.12", "service.reload", ["ssh"], False),
    ("25.04", "service.restart", ["ssh"], False),
    ("25.10", "service.control", ["RESTART", "ssh"], True),
    ("26.0", "service.control", ["RELOAD", "ssh"], True),
])
def test_service_verb_of_the_version(profile, method, params, job):
    c = client(profile)
    verb = params[0].lower() if method == "service.control" else method.split(".")[1]
    c.control_service(verb, "ssh")
    sent_method, sent_params = c.transport.calls[-1]
    assert sent_method == method
    assert sent_params[:len(params)] == params


def test_reading_a_secret_the_escrow_lacks_counts_as_a_change_even_in_check_mode():
    c = client("24.10", auth__twofactor__config=GLOBAL_24,
               user__query=[{"id": 1, "username": "root", "twofactor_auth_configured": True}])
    result = ensure_user_secret(c, True, "root", secret_escrowed=False)
    assert result["changed"] is True and result["new_secret"] is False
    assert "user.provisioning_uri" not in c.transport.methods()


def test_module_accepts_exactly_the_escrow_options_the_action_plugin_takes():
    from ansible_collections.fleet2fa.nas.plugins.module_utils import _escrow_spec
    from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.twofactor import USER_SECRET_ARGSPEC

    assert USER_SECRET_ARGSPEC["escrow"] == _escrow_spec.ARGSPEC["escrow"]


def test_23_10_reads_the_global_digits_only_to_compare_them_and_refuses_a_difference():
    c = client("23.10", auth__twofactor__config=GLOBAL_23,
               user__query=[{"id": 1, "username": "root", "twofactor_auth_configured": False}])
    with pytest.raises(CapabilityError, match="wipes every user's secret"):
        ensure_user_secret(c, False, "root", otp_digits=8)
    assert "auth.twofactor.config" in c.transport.methods()
    assert "user.renew_2fa_secret" not in c.transport.methods()
