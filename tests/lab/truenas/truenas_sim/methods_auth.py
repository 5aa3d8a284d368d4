# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""auth.* logins: auth.login (native up to 24.10, a login_ex wrapper from 25.04), auth.login_ex
and its continuation, the assurance levels, one-time passwords, auth.me and auth.get_login_user.

Sources: stable/cobia mw:plugins/auth.py:410-465 and stable/electriceel :380-440 (native login);
stable/goldeye mw:plugins/auth.py:513-1160 (login_ex, "mw:auth" below), stable/fangtooth
:500-1140; stable/26 mw:plugins/auth_/login_ex_impl.py (the OTP through PAM).
"""
import errno
import random

from . import audit, pam
from .accounts_model import authenticate_user, user_obj
from .errors import EXTRA_FORBIDDEN, FIELD_REQUIRED, CallError, ValidationError, ValidationErrors, is_of_type
from .methods_api_key import find_key, key_login
from .registry import method, since, until
from .users_view import twofactor_config

MECHANISMS = ('API_KEY_PLAIN', 'PASSWORD_PLAIN', 'TOKEN_PLAIN', 'OTP_TOKEN')
# AA_LEVEL1/2/3 mechanisms, in the order mechanism_choices lists them (stable/goldeye
# mw:utils/auth.py:71-111; stable/26 :95-106 adds SCRAM to LEVEL_1)
LEVEL_MECHANISMS = {'LEVEL_1': ('API_KEY_PLAIN', 'TOKEN_PLAIN', 'PASSWORD_PLAIN'), 'LEVEL_2': ('PASSWORD_PLAIN',),
                    'LEVEL_3': ()}
MIN_FAIL_DELAY = {'LEVEL_1': 1, 'LEVEL_2': 4, 'LEVEL_3': 4}


def _has_secret(mw, username):
    tf = mw.state.get_config('twofactor')
    if mw.profile.global_secret:
        return bool(tf.get('secret'))
    user = mw.state.get_user(username)
    return bool(user and user.get('secret'))


def _in_users_oath(mw, username):
    """25.04/25.10 set the account flag 2FA when the user is in users.oath (stable/fangtooth
    mw:utils/account/authenticator.py ~l.227); 26 learns it from the PAM conversation."""
    try:
        with open(mw.path(mw.profile.oath_path)) as f:
            return any(line.split('\t')[1:2] == [username] for line in f if line.strip())
    except FileNotFoundError:
        return False


def _otp_ok_pyotp(mw, username, token):
    """user.verify_twofactor_token: pyotp with the global or the user's secret (stable/goldeye
    mw:plugins/account_/2fa.py)."""
    tf = mw.state.get_config('twofactor')
    if mw.profile.global_secret:
        return mw.verify_totp(tf.get('secret') or '', tf['otp_digits'], tf['interval'], token)
    user = mw.state.get_user(username)
    if not user or not user.get('secret'):
        return False
    digits, interval = mw.user_otp_params(user)
    return mw.verify_totp(user['secret'], digits, interval, token)


def _otp_ok_pam(sess, username, password, token):
    """stable/26: password and code through /etc/pam.d/truenas; pam_oath refuses a replay. A
    refusal answers after libpam's fail delay (no delay of the middleware's own on 26)."""
    def answer(prompt, echo):
        low = prompt.lower()
        return str(token) if ('one-time' in low or 'oath' in low) else password
    ok, _msg, delay = pam.authenticate('truenas', username, answer)
    if delay:
        sess.fail_delay = delay
    return ok


def _delay(mw, sess):
    level = MIN_FAIL_DELAY[mw.aal]
    mw.fail_delay(sess, level, level + 1)


# auth.login -----------------------------------------------------------------------------------
def _login_native(mw, sess, username, password, otp_token):
    """stable/cobia mw:plugins/auth.py:432-465 (get_login_user :451-464); CORE and 22.12 check the
    code against the global secret whenever 2FA is on (truenas/13.0-stable, stable/bluefin)."""
    p = mw.profile
    if p.core and username != 'root':
        return None   # truenas/13.0-stable mw:plugins/auth.py check_user: root only
    if not mw.password_ok(username, password):
        return None
    roles = authenticate_user(mw, username)
    if roles is None:
        return None
    tf = mw.state.get_config('twofactor')
    if tf['enabled'] and (p.global_secret or _has_secret(mw, username)):
        if not _otp_ok_pyotp(mw, username, otp_token):
            return None
    return roles


@method('auth.login', no_auth=True)
def login(mw, sess, username, password, otp_token=None):
    """25.04+: login_ex PASSWORD_PLAIN, then OTP_TOKEN when asked (stable/goldeye mw:auth:513-542)."""
    for name, value in (('username', username), ('password', password)):
        if not is_of_type(value, str):
            raise ValidationErrors([(name, 'Input should be a valid string', 22)])
    if mw.profile.login_ex:
        r = login_ex(mw, sess, {'mechanism': 'PASSWORD_PLAIN', 'username': username, 'password': password,
                                'login_options': {'user_info': False}})
        if r['response_type'] == 'OTP_REQUIRED':
            if otp_token is None:
                return False
            r = login_ex(mw, sess, {'mechanism': 'OTP_TOKEN', 'otp_token': otp_token})
        return r['response_type'] == 'SUCCESS'
    roles = _login_native(mw, sess, username, password, otp_token)
    if roles is None:
        mw.fail_delay(sess, 1, 5) if mw.profile.rank >= 2 else None   # random.randint(1, 5), cobia :443-444
        return False
    sess.login(username, 'password', roles)
    return True


@method('auth.two_factor_auth', no_auth=True, present=until('login_ex'))
def two_factor_auth(mw, sess, username=None, password=None):
    """CORE/22.12: the global flag; 23.10-24.10 (u, p): whether this login needs a code
    (stable/cobia mw:plugins/auth.py:414-430), with a 1-5 s sleep after a wrong password."""
    tf = mw.state.get_config('twofactor')
    if mw.profile.global_secret:
        if username is not None or password is not None:   # @accepts() on stable/bluefin :405-412
            raise ValidationErrors([('', 'Too many arguments (expected 0, found %d)'
                                     % (2 if password is not None else 1), 22)])
        return bool(tf['enabled'])
    ok = mw.password_ok(username, password) and authenticate_user(mw, username) is not None
    if not ok:
        mw.fail_delay(sess, 1, 5)
    return bool(ok and tf['enabled'] and _has_secret(mw, username))


@method('auth.get_login_user', no_auth=False, present=lambda p: p.get_login_user is not None, private=lambda p: True)
def get_login_user(mw, sess, username, password, otp_token=None):
    """Private. stable/cobia :451-464 / stable/electriceel :421-434: (username, password,
    otp_token=None) -> the user or null; stable/fangtooth :1116 / stable/goldeye :1140 (app is
    passed by the server): (username, password) -> the PAM answer and whether an OTP is needed."""
    if mw.profile.get_login_user == 'otp':
        roles = _login_native(mw, sess, username, password, otp_token)
        return None if roles is None else {'username': username, 'privilege': _privilege(roles)}
    if otp_token is not None:
        raise ValidationErrors([('', 'Too many arguments (expected 2, found 3)', 22)])
    ok = mw.password_ok(username, password) and authenticate_user(mw, username) is not None
    otpw = False
    if not ok and mw.profile.otpw:
        otpw = _check_otpw(mw, username, password, consume=False)
        ok = otpw
    user = user_obj(mw, username) if ok else None
    attrs = _account_attributes(mw, username, otpw) if ok else []
    return {'pam_response': {'code': 0 if ok else 7, 'reason': None if ok else 'Authentication failure',
                             'user_info': None, 'otpw_response': 'SUCCESS' if otpw else None},
            'user_data': dict(user, account_attributes=attrs, privilege=_privilege(authenticate_user(mw, username)))
            if user else None,
            'otp_required': bool(ok and not otpw and '2FA' in attrs), 'otpw_used': otpw}


def _privilege(roles):
    return {'roles': {'$set': list(roles or ())}, 'allowlist': [{'method': '*', 'resource': '*'}]
            if 'FULL_ADMIN' in (roles or ()) else [], 'web_shell': 'FULL_ADMIN' in (roles or ())}


def _account_attributes(mw, username, otpw=False):
    attrs = ['LOCAL']
    if 'FULL_ADMIN' in (authenticate_user(mw, username) or ()):
        attrs.append('SYS_ADMIN')
    if otpw:
        attrs.append('OTPW')
    elif mw.state.get_config('twofactor')['enabled'] and _in_users_oath(mw, username):
        attrs.append('2FA')
    return attrs


# auth.login_ex ---------------------------------------------------------------------------------
def _validate_login_data(data, only=None):
    """AuthLoginExArgs (stable/goldeye mw:api/v25_10_2/auth.py): a union discriminated by
    ``mechanism``; errors located as login_data.<MECHANISM>.<field> (pydantic)."""
    if not isinstance(data, dict):
        raise ValidationErrors([('login_data', 'Input should be a valid dictionary or object to extract fields from', 22)])
    if 'mechanism' not in data:
        raise ValidationErrors([('login_data.mechanism', FIELD_REQUIRED, 22)])
    mech = data['mechanism']
    allowed = (only,) if only else MECHANISMS
    if mech not in allowed:
        if only:
            raise ValidationErrors([('login_data.mechanism', "Input should be <AuthMech.%s: '%s'>" % (only, only), 22)])
        raise ValidationErrors([('login_data', "Input tag %r found using 'mechanism' does not match any of the expected "
                                 "tags: %s" % (mech, ', '.join("<AuthMech.%s: '%s'>" % (m, m) for m in MECHANISMS)), 22)])
    fields = {'API_KEY_PLAIN': ('username', 'api_key'), 'PASSWORD_PLAIN': ('username', 'password'),
              'TOKEN_PLAIN': ('token',), 'OTP_TOKEN': ('otp_token',)}[mech]
    prefix = 'login_data' if only else 'login_data.%s' % mech
    errs = [('%s.%s' % (prefix, f), FIELD_REQUIRED, 22) for f in fields if f not in data]
    errs += [('%s.%s' % (prefix, f), 'Input should be a valid string', 22) for f in fields
             if f in data and not is_of_type(data[f], str)]
    errs += [('%s.%s' % (prefix, k), EXTRA_FORBIDDEN, 22) for k in data if k not in fields + ('mechanism', 'login_options')]
    opts = data.get('login_options', {})
    if not isinstance(opts, dict) or set(opts) - {'user_info'} or not is_of_type(opts.get('user_info', True), bool):
        errs.append(('%s.login_options' % prefix, 'Input should be a valid dictionary', 22))
    if errs:
        raise ValidationErrors(errs)
    return mech


def _success(mw, sess, username, via, data, roles, key=None):
    sess.login(username, via, roles, key=key)
    audit.record(mw, sess, 'AUTHENTICATION', {'credentials': {'credentials': sess.credentials.kind,
                                                              'credentials_data': sess.credentials.dump()},
                                              'error': None}, True)
    info = me(mw, sess) if (data.get('login_options') or {}).get('user_info', True) else None
    return {'response_type': 'SUCCESS', 'user_info': info, 'authenticator': mw.aal}


def _failure(mw, sess, cred_type, username, error):
    audit.record(mw, sess, 'AUTHENTICATION', {'credentials': {'credentials': cred_type,
                                                              'credentials_data': {'username': username}},
                                              'error': error}, False)


@method('auth.login_ex', no_auth=True, present=since('login_ex'))
def login_ex(mw, sess, login_data):
    """stable/goldeye mw:auth:680-1136."""
    mech = _validate_login_data(login_data)
    data = login_data
    pend = sess.pending
    if pend and mech != 'OTP_TOKEN':
        # check_auth_mechanism (:580-628): another mechanism abandons the OTP step
        _failure(mw, sess, 'LOGIN_TWOFACTOR', pend['username'], 'Abandoning login attempt after being presented '
                 'wtih requirement for second factor for authentication.')
        sess.pending = pend = None
    if not pend and mech == 'OTP_TOKEN':
        raise CallError('OTP_TOKEN: no authentication in progress', errno.EINVAL)
    if mech != 'OTP_TOKEN' and mech not in LEVEL_MECHANISMS[mw.aal]:
        raise CallError('%s: mechanism is not supported at current authenticator level.' % mech, errno.EOPNOTSUPP)
    if mech == 'PASSWORD_PLAIN':
        return _password_plain(mw, sess, data)
    if mech == 'API_KEY_PLAIN':
        return key_login(mw, sess, data, _success, _failure)
    if mech == 'TOKEN_PLAIN':
        token = mw.tokens.get(data['token'])
        if token is None or token['attrs']:
            _delay(mw, sess)
            _failure(mw, sess, 'TOKEN', None, 'Invalid token' if token is None else 'Bad token')
            return {'response_type': 'AUTH_ERR'}
        if token['single_use']:
            mw.tokens.pop(data['token'], None)
        return _success(mw, sess, token['username'], 'token', data, token['roles'])
    return _otp_token(mw, sess, data, pend)


def _password_plain(mw, sess, data):
    username, password = data['username'], data['password']
    ok = mw.password_ok(username, password)
    otpw = False
    if not ok and mw.profile.otpw:
        otpw = ok = _check_otpw(mw, username, password, consume=True)
    roles = authenticate_user(mw, username) if ok else None
    if roles is None:
        _delay(mw, sess)
        _failure(mw, sess, 'LOGIN_PASSWORD', username, 'Bad username or password' if not ok else 'User lacks API access.')
        return {'response_type': 'AUTH_ERR'}
    if otpw:
        return _success(mw, sess, username, 'otpw', data, roles)
    needs_otp = mw.state.get_config('twofactor')['enabled'] and _in_users_oath(mw, username)
    if needs_otp:
        sess.pending = {'username': username, 'password': password, 'cnt': 0, 'data': data, 'roles': roles}
        return {'response_type': 'OTP_REQUIRED', 'username': username}
    if mw.aal != 'LEVEL_1':
        # otp_mandatory (:815-846): a password alone is an AUTH_ERR at LEVEL_2/3
        _delay(mw, sess)
        _failure(mw, sess, 'LOGIN_PASSWORD', username, 'User does not have two factor authentication enabled.')
        return {'response_type': 'AUTH_ERR'}
    return _success(mw, sess, username, 'password', data, roles)


def _otp_token(mw, sess, data, pend):
    """:930-980 (stable/fangtooth :906-955): a wrong code is OTP_REQUIRED again while cnt <
    MAX_OTP_ATTEMPTS (3), then AUTH_ERR; stable/26 ends at the first wrong code."""
    sess.pending = None
    user = pend['username']
    if mw.profile.otp_via_pam:
        ok = _otp_ok_pam(sess, user, pend['password'], data['otp_token'])
    else:
        ok = _otp_ok_pyotp(mw, user, data['otp_token'])
    if ok:
        return _success(mw, sess, user, 'twofactor', pend['data'], pend['roles'])
    if not mw.profile.otp_via_pam:
        _delay(mw, sess)
    _failure(mw, sess, 'LOGIN_TWOFACTOR', user, 'One-time token validation failed.')
    if pend['cnt'] < mw.profile.otp_retries:
        pend['cnt'] += 1
        sess.pending = pend
        return {'response_type': 'OTP_REQUIRED', 'username': user}
    return {'response_type': 'AUTH_ERR'}


@method('auth.login_ex_continue', no_auth=True, present=since('login_ex'))
def login_ex_continue(mw, sess, login_data):
    """``return await self.login_ex(app, data)`` (stable/goldeye mw:auth:649-678, fangtooth
    :644-673), its argument model accepting OTP_TOKEN only."""
    _validate_login_data(login_data, only='OTP_TOKEN')
    return login_ex(mw, sess, login_data)


@method('auth.mechanism_choices', no_auth=True, present=since('login_ex'))
def mechanism_choices(mw, sess):
    """:630-647. On 25.04/25.10 an unauthenticated session makes it fail: it reads
    app.authenticated_credentials.may_create_auth_token of None (stable/goldeye mw:auth:640,
    stable/fangtooth :635); stable/26 :707-727 checks for a credential first."""
    if not sess.authenticated and not mw.profile.otp_via_pam:
        raise CallError("'NoneType' object has no attribute 'may_create_auth_token'", errno.EINVAL)
    choices = list(LEVEL_MECHANISMS[mw.aal])
    if mw.profile.otp_via_pam and mw.aal == 'LEVEL_1':
        choices.append('SCRAM')
    if sess.credentials and sess.credentials.kind == 'LOGIN_ONETIME_PASSWORD' and 'TOKEN_PLAIN' in choices:
        choices.remove('TOKEN_PLAIN')
    return choices


# assurance levels (private) --------------------------------------------------------------------
@method('auth.set_authenticator_assurance_level', present=since('aal'), private=lambda p: True)
def set_authenticator_assurance_level(mw, sess, level):
    """stable/goldeye mw:auth:544-561."""
    if level not in LEVEL_MECHANISMS:
        raise CallError('%s: unknown authenticator assurance level' % level)
    mw.aal = level
    return None


@method('auth.get_authenticator_assurance_level', present=since('aal'), private=lambda p: True)
def get_authenticator_assurance_level(mw, sess):
    return mw.aal


# one-time passwords (25.04+) -------------------------------------------------------------------
@method('auth.generate_onetime_password', present=since('otpw'), roles=('ACCOUNT_WRITE',))
def generate_onetime_password(mw, sess, generate_single_use_password):
    """stable/goldeye mw:auth:339-378 and mw:utils/auth.py:140-199: "<n>_<xxxxxx-xxxxxx-xxxxxx-
    xxxxxx>", good for one login within a day."""
    data = generate_single_use_password
    if not isinstance(data, dict) or set(data) - {'username'} or not is_of_type(data.get('username'), str):
        raise ValidationErrors([('generate_single_use_password.username', FIELD_REQUIRED, 22)])
    username = data['username']
    user = mw.state.get_user(username)
    if user is None:
        raise ValidationError('auth.generate_onetime_password.username', '%s: user does not exist.' % username)
    verrors = ValidationErrors()
    if user.get('password_disabled'):
        verrors.add('auth.generate_onetime_password.username',
                    '%s: password authentication is disabled for account.' % username)
    if user.get('locked'):
        verrors.add('auth.generate_onetime_password.username', '%s: account is locked.' % username)
    verrors.check()
    alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    raw = ''.join(random.SystemRandom().choice(alphabet) for _char in range(24))
    words = '-'.join(raw[i:i + 6] for i in range(0, 24, 6))
    idx = str(len(mw.onetime_passwords) + 1)
    mw.onetime_passwords[idx] = {'uid': user['uid'], 'password': words, 'used': False}
    return '%s_%s' % (idx, words)


def _check_otpw(mw, username, plaintext, consume):
    try:
        idx, words = plaintext.split('_')
    except (AttributeError, ValueError):
        return False
    entry = mw.onetime_passwords.get(idx)
    user = mw.state.get_user(username)
    if not entry or not user or entry['uid'] != user['uid'] or entry['used'] or entry['password'] != words:
        return False
    if consume:
        entry['used'] = True
    return True


# sessions -------------------------------------------------------------------------------------
@method('auth.logout', no_authz=True)
def logout(mw, sess):
    sess.logout()
    return True


@method('auth.me', present=since('auth_me'), no_authz=True)
def me(mw, sess):
    """stable/goldeye mw:auth:1223-1288: user.get_user_obj plus attributes, two_factor_config
    (24.04+), privilege and account_attributes. A session that is no user's (an API key up to
    24.10) gets "You are logged in using ..." (:1258-1259)."""
    creds = sess.credentials
    if creds.kind == 'API_KEY' and not mw.profile.user_api_keys:
        raise CallError('You are logged in using API_KEY')
    out = dict(user_obj(mw, creds.username), attributes={})
    if mw.profile.me_twofactor_config:
        user = mw.state.get_user(creds.username)
        out['two_factor_config'] = twofactor_config(mw, user) if user else None
    out['privilege'] = _privilege(creds.roles)
    out['account_attributes'] = _account_attributes(mw, creds.username, creds.kind == 'LOGIN_ONETIME_PASSWORD')
    return out


# find_key is re-exported for http_surface
__all__ = ['find_key']
