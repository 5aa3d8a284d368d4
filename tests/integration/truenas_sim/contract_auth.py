"""Logins as each version has them (issue 15, facts 6-14). Collected through
test_truenas_sim_contract.py."""
import time
import uuid

import pyotp
import pytest

from conftest import JSONRPC, wrong_code

PASSWORD_PLAIN = 'PASSWORD_PLAIN'


def _login_ex(rpc, user, password):
    return rpc.call('auth.login_ex', {'mechanism': PASSWORD_PLAIN, 'username': user, 'password': password})


def _otp(rpc, token, method='auth.login_ex_continue'):
    return rpc.call(method, {'mechanism': 'OTP_TOKEN', 'otp_token': token})['response_type']


def _next_step(interval=30):
    """pam_oath (26) refuses a code already used in its time step: wait for the next step."""
    time.sleep(interval - time.time() % interval + 1)


@pytest.mark.parametrize('version', ['13.0', '22.12', '23.10', '24.10'])
def test_auth_login_with_otp_up_to_2410(boxes, version):
    box = boxes[version]
    with box.two_factor() as secret:
        code = pyotp.TOTP(secret).now()
        rpc = box.ws('/websocket')
        assert rpc.call('auth.login', 'root', box.password) is False        # a code is needed
        assert rpc.call('auth.login', 'root', box.password, wrong_code(code)) is False
        assert rpc.call('auth.login', 'root', box.password, code) is True
        if box.rank >= 1:
            assert rpc.call('auth.me')['pw_name'] == 'root'                  # auth.me: 22.12+
            assert ('two_factor_config' in rpc.call('auth.me')) == (box.rank >= 3)
        rpc.close()


@pytest.mark.parametrize('version', ['25.04', '25.10'])
def test_login_ex_three_more_tries_then_auth_err_and_a_reused_code_accepted(boxes, version):
    box = boxes[version]
    with box.two_factor() as secret:
        code = pyotp.TOTP(secret).now()
        rpc = box.ws('/api/current')
        err = rpc.error('auth.login_ex_continue', {'mechanism': 'OTP_TOKEN', 'otp_token': code})
        assert err['code'] == -32001 and err['data']['reason'] == '[EINVAL] OTP_TOKEN: no authentication in progress'
        assert _login_ex(rpc, 'root', box.password) == {'response_type': 'OTP_REQUIRED', 'username': 'root'}
        # MAX_OTP_ATTEMPTS = 3 counted from 0 (mw:utils/auth.py:9, mw:plugins/auth.py:1026-1034)
        assert [_otp(rpc, wrong_code(code)) for _try in range(4)] == ['OTP_REQUIRED'] * 3 + ['AUTH_ERR']
        assert _login_ex(rpc, 'root', box.password)['response_type'] == 'OTP_REQUIRED'
        assert _otp(rpc, code) == 'SUCCESS'
        # login_ex with OTP_TOKEN is the same continuation (login_ex_continue returns login_ex)
        assert _login_ex(rpc, 'root', box.password)['response_type'] == 'OTP_REQUIRED'
        assert _otp(rpc, code, method='auth.login_ex') == 'SUCCESS'              # pyotp: reuse accepted
        err = rpc.error('auth.login_ex_continue', {'mechanism': PASSWORD_PLAIN, 'username': 'root', 'password': 'x'})
        assert err['code'] == -32602                                             # OTP_TOKEN only
        rpc.close()


def test_26_wrong_code_ends_the_attempt_and_a_replayed_code_is_refused(boxes):
    box = boxes['26.0']
    with box.two_factor() as secret:
        rpc = box.ws('/api/current')
        _next_step()
        code = pyotp.TOTP(secret).now()
        assert _login_ex(rpc, 'root', box.password)['response_type'] == 'OTP_REQUIRED'
        assert _otp(rpc, wrong_code(code)) == 'AUTH_ERR'                        # login_ex_impl.py:295-345
        assert _login_ex(rpc, 'root', box.password)['response_type'] == 'OTP_REQUIRED'
        assert _otp(rpc, code, method='auth.login_ex') == 'SUCCESS'               # through pam_oath
        assert _login_ex(rpc, 'root', box.password)['response_type'] == 'OTP_REQUIRED'
        assert _otp(rpc, code) == 'AUTH_ERR'                                     # replay refused
        rpc.close()


@pytest.mark.parametrize('version', JSONRPC)
def test_mechanism_choices_in_the_real_order(boxes, version):
    box = boxes[version]
    rpc = box.ws('/api/current')
    if box.rank == 6:
        assert rpc.call('auth.mechanism_choices') == ['API_KEY_PLAIN', 'TOKEN_PLAIN', 'PASSWORD_PLAIN', 'SCRAM']
    else:   # 25.04/25.10 read app.authenticated_credentials of an unauthenticated session (auth.py:640)
        err = rpc.error('auth.mechanism_choices')
        assert err['code'] == -32001 and err['data']['errname'] == 'EINVAL'
        assert 'may_create_auth_token' in err['data']['reason']
    assert rpc.call('auth.login', 'root', box.password) is True
    expected = ['API_KEY_PLAIN', 'TOKEN_PLAIN', 'PASSWORD_PLAIN'] + (['SCRAM'] if box.rank == 6 else [])
    assert rpc.call('auth.mechanism_choices') == expected
    rpc.close()


@pytest.mark.parametrize('version', JSONRPC)
def test_level_2_wants_password_and_code_and_2fa_off_forces_level_1(boxes, version):
    box = boxes[version]
    key = box.call('api_key.create', {'name': 'aal-%s' % uuid.uuid4(), 'username': 'root'})['key']
    with box.two_factor() as secret:
        box.call('auth.set_authenticator_assurance_level', 'LEVEL_2')             # private
        rpc = box.ws('/api/current')
        err = rpc.error('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'root', 'api_key': key})
        # errno.errorcode names 95 ENOTSUP (EOPNOTSUPP is the same number)
        assert err['data']['reason'] == '[ENOTSUP] API_KEY_PLAIN: mechanism is not supported at current ' \
                                        'authenticator level.'
        if box.rank == 6:
            _next_step()
        assert _login_ex(rpc, 'root', box.password)['response_type'] == 'OTP_REQUIRED'
        reply = rpc.call('auth.login_ex_continue', {'mechanism': 'OTP_TOKEN', 'otp_token': pyotp.TOTP(secret).now()})
        assert reply['response_type'] == 'SUCCESS' and reply['authenticator'] == 'LEVEL_2'
        assert rpc.call('auth.mechanism_choices') == ['PASSWORD_PLAIN']
        rpc.close()
    # turning 2FA off (the end of the block) forces LEVEL_1 again (mw:plugins/auth_/2fa.py)
    assert box.call('auth.get_authenticator_assurance_level') == 'LEVEL_1'


@pytest.mark.parametrize('version', JSONRPC)
def test_onetime_password_logs_in_once(boxes, version):
    box = boxes[version]
    otpw = box.call('auth.generate_onetime_password', {'username': 'root'})
    idx, words = otpw.split('_')
    assert idx.isdigit() and [len(w) for w in words.split('-')] == [6, 6, 6, 6]
    rpc = box.ws('/api/current')
    reply = _login_ex(rpc, 'root', otpw)
    assert reply['response_type'] == 'SUCCESS'
    assert 'TOKEN_PLAIN' not in rpc.call('auth.mechanism_choices')        # may_create_auth_token False
    rpc.close()
    rpc = box.ws('/api/current')
    assert _login_ex(rpc, 'root', otpw)['response_type'] == 'AUTH_ERR'
    rpc.close()


@pytest.mark.parametrize('version', ['23.10', '24.10', '25.04', '25.10'])
def test_get_login_user_is_private_and_answers_as_its_version(boxes, version):
    box = boxes[version]
    rpc = box.login('/websocket')
    if box.rank <= 3:   # stable/cobia :452 / electriceel :421: (username, password, otp_token) -> user
        assert rpc.call('auth.get_login_user', 'root', box.password)['username'] == 'root'
        assert rpc.call('auth.get_login_user', 'root', 'wrong') is None
    else:               # stable/fangtooth :1116 / goldeye :1140: PAM answer and otp_required
        answer = rpc.call('auth.get_login_user', 'root', box.password)
        assert answer['pam_response']['code'] == 0 and answer['otp_required'] is False
    assert 'auth.get_login_user' not in rpc.call('core.get_methods', 'auth')
    rpc.close()


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
