"""auth.* logins and API keys (brief 2.4, 2.5)."""
import hashlib
import hmac
import secrets
import time

from . import pam
from .errors import CallError, InvalidParams
from .registry import method, since, until
from .users_view import user_entry, twofactor_config


def _has_secret(mw, username):
    tf = mw.state.get_config('twofactor')
    if mw.profile.global_secret:
        return bool(tf.get('secret'))
    user = mw.state.get_user(username)
    return bool(user and user.get('secret'))


def _in_users_oath(mw, username):
    # brief 2.4 [V]: 25.04/25.10 ask for an OTP when the username is in /etc/users.oath. 26 is
    # assumed to decide the same way before the PAM conversation [I-sim].
    try:
        with open(mw.path(mw.profile.oath_path)) as f:
            return any(line.split('\t')[1:2] == [username] for line in f if line.strip())
    except FileNotFoundError:
        return False


def _otp_ok_pyotp(mw, username, token):
    tf = mw.state.get_config('twofactor')
    if mw.profile.global_secret:  # CORE / 22.12: always the global secret (brief 2.2 [V])
        return mw.verify_totp(tf.get('secret') or '', tf['otp_digits'], tf['interval'], token)
    user = mw.state.get_user(username)
    digits, interval = mw.user_otp_params(user)
    return mw.verify_totp(user['secret'], digits, interval, token)


def _otp_ok_pam(mw, username, password, token):
    """26: password and OTP through /etc/pam.d/truenas (brief 3.3 [V]); pam_oath refuses a replayed
    code (brief 2.4, 7.10 [V])."""
    def answer(prompt, echo):
        low = prompt.lower()
        return str(token) if ('one-time' in low or 'oath' in low) else password
    ok, _msg = pam.authenticate('truenas', username, answer)
    return ok


# Up to 24.10 auth.login is native; 25.04+ it wraps login_ex (brief 2.4 [V]).
@method('auth.login', no_auth=True)
def login(mw, sess, username, password, otp_token=None):
    p = mw.profile
    if p.login_ex:
        r = login_ex(mw, sess, {'mechanism': 'PASSWORD_PLAIN', 'username': username, 'password': password})
        if r['response_type'] == 'OTP_REQUIRED':
            if otp_token is None:
                sess.pending = None
                return False
            r = login_ex_continue(mw, sess, {'mechanism': 'OTP_TOKEN', 'otp_token': str(otp_token)})
            sess.pending = None
        return r['response_type'] == 'SUCCESS'
    if p.core and username != 'root':
        return False  # CORE: only root logs in (brief 1 [V])
    if not isinstance(username, str) or not mw.password_ok(username, password):
        return False
    tf = mw.state.get_config('twofactor')
    # CORE/22.12: OTP whenever 2FA is on; 23.10-24.10: only if the user also has a secret [V]
    if tf['enabled'] and (p.global_secret or _has_secret(mw, username)):
        if not otp_token or not _otp_ok_pyotp(mw, username, otp_token):
            return False
    sess.login(username, 'password')
    return True


@method('auth.two_factor_auth', no_auth=True, present=until('login_ex'))
def two_factor_auth(mw, sess, username=None, password=None):
    tf = mw.state.get_config('twofactor')
    if mw.profile.global_secret:
        return bool(tf['enabled'])  # brief 2.2 [V]: the global flag
    # 23.10-24.10 (u, p) [V]: whether the UI must ask for an OTP; the password check is [I-sim]
    return bool(tf['enabled'] and mw.password_ok(username, password) and _has_secret(mw, username))


def _key_matches(stored, key):
    return hmac.compare_digest(stored['hash'], hashlib.sha256(key.encode()).hexdigest())


def _find_key(mw, key):
    if not isinstance(key, str) or '-' not in key:
        return None
    kid = key.split('-', 1)[0]
    for k in mw.state.api_keys():
        if str(k['id']) == kid and _key_matches(k, key) and not k.get('revoked'):
            return k
    return None


@method('auth.login_with_api_key', no_auth=True)
def login_with_api_key(mw, sess, api_key):
    k = _find_key(mw, api_key)
    if not k:
        return False
    # API keys never need an OTP (brief 2.5 [V]); <=24.10 keys are global (no user) [V]
    sess.login(k.get('username') or 'root', 'api_key')
    return True


@method('auth.logout')
def logout(mw, sess):
    sess.authenticated, sess.username, sess.via = False, None, None
    return True


@method('auth.mechanism_choices', no_auth=True, present=since('login_ex'))
def mechanism_choices(mw, sess):
    out = ['API_KEY_PLAIN', 'PASSWORD_PLAIN', 'TOKEN_PLAIN']  # brief 2.4 [V]
    return out + (['SCRAM'] if mw.profile.otp_via_pam else [])  # SCRAM from 26 [V]; not served [I-sim]


def _success(mw, sess, username, via, data):
    sess.login(username, via)
    info = None
    if (data.get('login_options') or {}).get('user_info', True):
        info = me(mw, sess)
    return {'response_type': 'SUCCESS', 'user_info': info, 'authenticator': 'LEVEL_1'}


@method('auth.login_ex', no_auth=True, present=since('login_ex'))
def login_ex(mw, sess, data):
    if not isinstance(data, dict) or 'mechanism' not in data:
        raise InvalidParams([('login_data.mechanism', 'Field required', 22)])
    mech = data['mechanism']
    sess.pending = None
    if mech == 'PASSWORD_PLAIN':
        username, password = data.get('username'), data.get('password')
        if not isinstance(username, str) or not isinstance(password, str):
            raise InvalidParams([('login_data', 'username and password are required', 22)])
        if not mw.password_ok(username, password) or not mw.state.get_user(username):
            return {'response_type': 'AUTH_ERR'}
        tf = mw.state.get_config('twofactor')
        if tf['enabled'] and _in_users_oath(mw, username):
            sess.pending = {'username': username, 'password': password, 'attempts': 0, 'data': data}
            return {'response_type': 'OTP_REQUIRED', 'username': username}  # brief 2.4 [V]
        return _success(mw, sess, username, 'password', data)
    if mech == 'API_KEY_PLAIN':  # username required from 25.04 (brief 2.5 [V])
        k = _find_key(mw, data.get('api_key'))
        if not k or k.get('username') != data.get('username'):
            return {'response_type': 'AUTH_ERR'}
        return _success(mw, sess, k['username'], 'api_key', data)
    if mech == 'OTP_TOKEN':
        raise CallError('OTP_TOKEN is only valid in auth.login_ex_continue', 22)
    if mech in ('TOKEN_PLAIN', 'SCRAM'):
        raise CallError('%s is not simulated' % mech, 22)  # [I-sim]
    raise InvalidParams([('login_data.mechanism', 'Invalid mechanism %r' % mech, 22)])


@method('auth.login_ex_continue', no_auth=True, present=since('login_ex'))
def login_ex_continue(mw, sess, data):
    if not isinstance(data, dict) or data.get('mechanism') != 'OTP_TOKEN':
        raise InvalidParams([('login_data.mechanism', 'Expected OTP_TOKEN', 22)])
    pend = sess.pending
    if not pend:
        raise CallError('No pending authentication challenge', 22)  # EINVAL (brief 2.4 [V])
    token = str(data.get('otp_token', ''))
    user = pend['username']
    if mw.profile.otp_via_pam:
        ok = _otp_ok_pam(mw, user, pend['password'], token)
    else:
        ok = _otp_ok_pyotp(mw, user, token)  # pyotp: a reused code is accepted (brief 2.4 [V])
    if ok:
        return _success(mw, sess, user, 'password', pend['data'])
    pend['attempts'] += 1
    if pend['attempts'] >= mw.profile.max_otp_attempts:
        sess.pending = None  # MAX_OTP_ATTEMPTS 3 on 25.04/25.10 [V]; 26 ends at once (issue 5) [I]
        return {'response_type': 'AUTH_ERR'}
    return {'response_type': 'OTP_REQUIRED', 'username': user}


@method('auth.me', present=since('auth_me'))
def me(mw, sess):
    user = mw.state.get_user(sess.username) or mw.state.get_user('root')
    entry = user_entry(mw, user)
    # brief 2.3 [V]: auth.me carries two_factor_config with the caller's own URI; the pw_* names
    # follow the passwd struct [I-sim].
    return {'pw_name': entry['username'], 'pw_uid': entry['uid'], 'pw_gid': entry['uid'],
            'pw_gecos': entry['full_name'], 'pw_dir': entry['home'], 'pw_shell': '/bin/bash',
            'attributes': {}, 'account_attributes': ['LOCAL', 'SYS_ADMIN'],
            'privilege': {'roles': {'$set': ['FULL_ADMIN']}},
            'two_factor_config': twofactor_config(mw, user)}


# API keys (brief 2.5 [V]): global named keys up to 24.10, user-bound from 25.04; both print
# "<id>-<secret>" once at creation (the <=24.10 key format is [I-sim]).
@method('api_key.create')
def api_key_create(mw, sess, data):
    if not isinstance(data, dict) or not isinstance(data.get('name'), str) or not data['name']:
        raise InvalidParams([('api_key_create.name', 'Field required', 22)])
    rec = {'name': data['name'], 'created_at': {'$date': int(time.time() * 1000)}}
    if mw.profile.user_api_keys:
        if not mw.state.get_user(data.get('username')):
            raise InvalidParams([('api_key_create.username', 'User does not exist', 22)])
        rec.update(username=data['username'], expires_at=data.get('expires_at'))
    else:
        if 'username' in data:
            raise InvalidParams([('api_key_create.username', 'Field was not expected', 22)])
        rec['allowlist'] = data.get('allowlist', [{'method': '*', 'resource': '*'}])
    rec['hash'] = ''
    kid = mw.state.add_api_key(rec)
    key = '%d-%s' % (kid, secrets.token_urlsafe(48))
    rec.update(id=kid, hash=hashlib.sha256(key.encode()).hexdigest())
    mw.state.save_api_key(rec)
    out = {k: v for k, v in rec.items() if k != 'hash'}
    out['key'] = key
    return out


@method('api_key.query')
def api_key_query(mw, sess, filters=None, options=None):
    return [{k: v for k, v in r.items() if k != 'hash'} for r in mw.state.api_keys()]


@method('api_key.delete')
def api_key_delete(mw, sess, kid):
    if not mw.state.delete_api_key(kid):
        raise CallError('API key %r does not exist' % (kid,), 2)
    return True
