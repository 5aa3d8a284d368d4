"""The websocket transport against the simulator, one box of each profile: the errors the box really
sends are told apart by their codes (not authenticated, no such method, validation), and an API key
is never sent over plain ws:// to a 25.04+ box, which would revoke it (middleware PR 15457)."""

import shutil
import tempfile

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.errors import (
    CapabilityError,
    InvalidRequestError,
    MethodRefusedError,
    NotAuthenticatedError,
)
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.transport import WebsocketTransport
from truenas_lab import PROFILES, TrueNASLab, version_key


@pytest.fixture(scope="module")
def boxes(make_lab):
    workdir = tempfile.mkdtemp(prefix="fleet2fa-transport-")
    env = TrueNASLab(make_lab(truenas=PROFILES), workdir)
    wanted = {h.name: [dict({"name": "fleet2fa-transport"},
                            **({"username": "root"} if version_key(h.truenas_version) >= (25, 4) else {}))]
              for h in env.hosts}
    created = env.midclt_each("truenas", "api_key.create", wanted)
    env.api_keys = {name: answer["key"] for name, answer in created.items()}
    yield env
    shutil.rmtree(workdir, ignore_errors=True)


def by_profile(boxes):
    return {h.truenas_version: h for h in boxes.hosts}


def opened(url):
    return WebsocketTransport(url, validate_certs=False, timeout=15).connect()


def username(host):
    return "root" if version_key(host.truenas_version) >= (25, 4) else None


def outcome(func):
    try:
        func()
    except Exception as exc:  # noqa: BLE001 - the kind of error is what the test looks at
        return type(exc).__name__
    return "ok"


def test_a_call_before_login_is_not_authenticated_on_every_profile(boxes):
    seen = {}
    for version, host in by_profile(boxes).items():
        transport = opened("wss://%s" % host.address)
        try:
            seen[version] = outcome(lambda: transport.call("user.query"))
        finally:
            transport.close()
    assert seen == {version: NotAuthenticatedError.__name__ for version in PROFILES}


def test_an_unknown_method_and_bad_arguments_are_told_apart_on_every_profile(boxes):
    seen = {}
    for version, host in by_profile(boxes).items():
        transport = opened("wss://%s" % host.address)
        try:
            transport.login_with_api_key(boxes.api_keys[host.name], username(host))
            seen[version] = (outcome(lambda: transport.call("user.fleet2fa_no_such_method")),
                             outcome(lambda: transport.call("api_key.create", [{}])),
                             outcome(lambda: transport.call("core.ping")))
        finally:
            transport.close()
    expected = (MethodRefusedError.__name__, InvalidRequestError.__name__, "ok")
    assert seen == {version: expected for version in PROFILES}


def key_revoked(boxes, host):
    key_id = int(boxes.api_keys[host.name].split("-", 1)[0])
    keys = boxes.midclt(host, "api_key.query", [["id", "=", key_id]])
    return bool(keys[0].get("revoked"))


@pytest.mark.parametrize("path", ["", "/websocket"])
def test_an_api_key_is_refused_over_plain_ws_before_a_25_04_box_can_revoke_it(boxes, path):
    for version, host in by_profile(boxes).items():
        if version_key(version) < (25, 4):
            continue
        transport = opened("ws://%s%s" % (host.address, path))
        try:
            with pytest.raises(CapabilityError) as caught:
                transport.login_with_api_key(boxes.api_keys[host.name], username(host))
        finally:
            transport.close()
        assert "api_url=ws://" in str(caught.value) and "wss://" in str(caught.value)
        assert boxes.api_keys[host.name].split("-", 1)[1] not in str(caught.value)
        assert not key_revoked(boxes, host), version
        # The same key still works over TLS.
        transport = opened("wss://%s" % host.address)
        try:
            transport.login_with_api_key(boxes.api_keys[host.name], username(host))
            assert transport.call("core.ping") == "pong"
        finally:
            transport.close()


def test_before_25_04_plain_ws_still_logs_in_with_the_key(boxes):
    for version, host in by_profile(boxes).items():
        if version_key(version) >= (25, 4):
            continue
        transport = opened("ws://%s" % host.address)
        try:
            transport.login_with_api_key(boxes.api_keys[host.name], username(host))
            assert transport.call("core.ping") == "pong", version
        finally:
            transport.close()
