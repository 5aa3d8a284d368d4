"""API keys as each version has them (a global key up to 24.10, a user's key from 25.04, revoked when
sent over a plain websocket), the rate limit of unauthenticated calls, and the refusal of password
SSH for a user without a secret (issue 15; ``mw:`` = src/middlewared/middlewared/ of
github.com/truenas/middleware at the version's branch)."""
import uuid

import pytest

from conftest import JSONRPC

LAB_PROFILES = ['24.10', '25.04', '25.10', '26.0']


@pytest.mark.parametrize('version', JSONRPC)
def test_api_key_over_plain_ws_is_revoked_and_over_wss_works(boxes, version):
    box = boxes[version]
    login = {'mechanism': 'API_KEY_PLAIN', 'username': 'root'}
    key = box.call('api_key.create', {'name': 'wss-%s' % uuid.uuid4(), 'username': 'root'})
    rpc = box.ws('/api/current', tls=True)
    assert rpc.call('auth.login_ex', dict(login, api_key=key['key']))['response_type'] == 'SUCCESS'
    rpc.close()
    rpc = box.ws('/api/current', tls=False)                            # PR 15457: not a secure transport
    assert rpc.call('auth.login_ex', dict(login, api_key=key['key'])) == {'response_type': 'EXPIRED'}
    rpc.close()
    revoked = box.call('api_key.query', [['id', '=', key['id']]], {'get': True})
    assert revoked['revoked'] is True
    rpc = box.ws('/api/current', tls=True)
    assert rpc.call('auth.login_ex', dict(login, api_key=key['key'])) == {'response_type': 'EXPIRED'}
    rpc.close()


def test_global_api_key_up_to_2410_over_legacy_websocket(boxes):
    box = boxes['24.10']
    key = box.call('api_key.create', {'name': 'contract-%s' % uuid.uuid4()})['key']
    rpc = box.ws('/websocket')
    assert rpc.call('auth.login_with_api_key', key + 'x') is False
    assert rpc.call('auth.login_with_api_key', key) is True
    assert rpc.call('auth.twofactor.config')['id'] == 1
    rpc.close()


@pytest.mark.parametrize('version', ['25.04', '26.0'])
def test_user_bound_api_key_and_private_methods_over_jsonrpc(boxes, version):
    box = boxes[version]
    key = box.call('api_key.create', {'name': 'contract-%s' % uuid.uuid4(), 'username': 'root'})['key']
    kid, secret = key.split('-', 1)
    assert kid.isdigit() and len(secret) == 64 and secret.isalnum()      # generate_string(string_size=64)
    rpc = box.ws('/api/current')
    bad = rpc.call('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'admin', 'api_key': key})
    assert bad['response_type'] == 'AUTH_ERR'
    ok = rpc.call('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'root', 'api_key': key})
    assert ok['response_type'] == 'SUCCESS' and ok['user_info']['pw_name'] == 'root'
    assert rpc.call('user.twofactor_config', 'root')['otp_digits'] == 6   # private, and it runs
    if box.rank >= 6:
        assert rpc.call('service.restart', 'ssh') is True                  # private on 26, callable
    rpc.close()


@pytest.mark.parametrize('version', ['24.10', '25.04', '26.0'])
def test_password_ssh_for_a_user_without_secret_refused_while_ssh_2fa_is_on(boxes, version):
    """NAS-132659 (PR 15235), from 24.10.2: stable/electriceel mw:plugins/account.py:1440-1459."""
    box = boxes[version]
    box.enable_2fa(ssh=True)
    try:
        admin = box.call('user.query', [['username', '=', 'admin']], {'get': True})
        r = box.midclt('user.update', admin['id'], {'ssh_password_enabled': True})
        assert r.returncode == 1 and '2FA for this user needs to be explicitly configured' in r.stderr
    finally:
        box.disable_2fa()


@pytest.mark.parametrize('version', ['24.10', '25.10'])
def test_rate_limit_of_unauthenticated_calls_and_its_cache_clear(boxes, version):
    box = boxes[version]
    rpc = box.ws('/api/current' if box.rank >= 4 else '/websocket')
    for _call in range(20):
        assert rpc.call('core.ping') == 'pong'
    err = rpc.error('core.ping')                                      # the 21st: a 1-10 s sleep, EBUSY
    assert (err['data'] if box.rank >= 4 else err)['error'] == 16
    box.call('rate.limit.cache_clear')
    assert rpc.call('core.ping') == 'pong'
    rpc.close()
