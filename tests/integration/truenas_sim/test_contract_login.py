"""Logins as each version has them (issue 15, facts 6-14): auth.login with a code up to 24.10,
login_ex and its continuation from 25.04, assurance levels, one-time passwords, auth.get_login_user
(``mw:`` = src/middlewared/middlewared/ of github.com/truenas/middleware at the version's branch).

On 26 the code goes through pam_oath, which takes each code once and no code older than the last
one taken (users.oath keeps the last step). ``two_factor`` gives root a fresh secret, and a new
secret starts a new users.oath line with no step taken, so a test's first code is taken whatever
the clock says: no test waits for the next time step."""
import concurrent.futures
import uuid

import pyotp
import pytest

from conftest import JSONRPC, PROFILES, wrong_code

LAB_PROFILES = PROFILES

PASSWORD_PLAIN = 'PASSWORD_PLAIN'


def _login_ex(rpc, user, password):
    return rpc.call('auth.login_ex', {'mechanism': PASSWORD_PLAIN, 'username': user, 'password': password})


def _otp(rpc, token, method='auth.login_ex_continue'):
    return rpc.call(method, {'mechanism': 'OTP_TOKEN', 'otp_token': token})['response_type']


@pytest.mark.parametrize('version', ['13.0', '22.12', '23.10', '24.10'])
def test_auth_login_with_otp_up_to_2410(boxes, version):
    box = boxes[version]
    with box.two_factor() as secret:
        code = pyotp.TOTP(secret).now()
        rpc = box.ws('/websocket')
        # A refused login answers after 1-5 s from 23.10 (random.randint(1, 5), stable/cobia
        # mw:plugins/auth.py:443-444), per call: the wrong code is refused on a connection of its
        # own meanwhile.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            wrong = pool.submit(box.legacy_login, 'root', box.password, wrong_code(code))
            assert rpc.call('auth.login', 'root', box.password) is False    # a code is needed
            assert wrong.result() is False
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


def _26_wrong_code_attempt(box, code):
    """On a connection of its own: the answers to a login, a wrong code, and a new login."""
    rpc = box.ws('/api/current', clear=False)
    try:
        return [_login_ex(rpc, 'root', box.password)['response_type'], _otp(rpc, wrong_code(code)),
                _login_ex(rpc, 'root', box.password)['response_type']]
    finally:
        rpc.close()


def test_26_wrong_code_ends_the_attempt_and_a_replayed_code_is_refused(boxes):
    box = boxes['26.0']
    with box.two_factor() as secret:
        rpc = box.ws('/api/current')
        code = pyotp.TOTP(secret).now()
        # each refusal answers after PAM's fail delay: the wrong code is tried on a second
        # connection while this one logs in and replays
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            wrong = pool.submit(_26_wrong_code_attempt, box, code)
            assert _login_ex(rpc, 'root', box.password)['response_type'] == 'OTP_REQUIRED'
            assert _otp(rpc, code, method='auth.login_ex') == 'SUCCESS'           # through pam_oath
            assert _login_ex(rpc, 'root', box.password)['response_type'] == 'OTP_REQUIRED'
            assert _otp(rpc, code) == 'AUTH_ERR'                                 # replay refused
            # login_ex_impl.py:295-345: the wrong code ends the attempt, a new one may start
            assert wrong.result() == ['OTP_REQUIRED', 'AUTH_ERR', 'OTP_REQUIRED']
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
