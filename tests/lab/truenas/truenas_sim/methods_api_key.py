# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""API keys and authentication tokens.

Up to 24.10 keys are global and named (stable/electriceel mw:plugins/api_key.py); from 25.04 each
belongs to a user (stable/goldeye mw:plugins/api_key.py:161-233). Either way the key is
"<id>-<64 letters and digits>" (generate_string(string_size=64)), shown once. From 25.04 a
correct key sent over an insecure transport (not AF_UNIX, TLS or loopback) is revoked and the
login answered EXPIRED (stable/goldeye mw:plugins/auth.py:936-958, middleware PR 15457);
a revoked key is EXPIRED too (PAM_CRED_EXPIRED).
"""
import errno
import hashlib
import hmac
import secrets
import string
import time

from .accounts_model import authenticate_user
from .errors import FIELD_REQUIRED, CallError, ValidationErrors, is_of_type
from .registry import method, since
from .users_view import filter_list

_ALPHABET = string.ascii_letters + string.digits


def _hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def find_key(mw, key, include_revoked=False):
    if not isinstance(key, str) or '-' not in key:
        return None
    kid = key.split('-', 1)[0]
    for k in mw.state.api_keys():
        if str(k['id']) == kid and hmac.compare_digest(k['hash'], _hash(key)):
            if k.get('revoked') and not include_revoked:
                return None
            return k
    return None


def _public(mw, rec):
    out = {k: v for k, v in rec.items() if k != 'hash'}
    if mw.profile.user_api_keys:
        out.setdefault('revoked', False)
        out.setdefault('revoked_reason', None)
        out.setdefault('expires_at', None)
        out['local'] = True
        user = mw.state.get_user(rec.get('username'))
        out['user_identifier'] = str(user['id']) if user else None
        out['keyhash'] = '$pbkdf2-sha512$500000$' + rec['hash'][:22]
    return out


def key_login(mw, sess, data, success, failure):
    """login_ex API_KEY_PLAIN (stable/goldeye mw:plugins/auth.py:881-988)."""
    key = find_key(mw, data['api_key'], include_revoked=True)
    if key is None or key.get('username') != data['username'] or authenticate_user(mw, key['username']) is None:
        mw.fail_delay(sess)
        failure(mw, sess, 'API_KEY', data['username'], 'Invalid API key')
        return {'response_type': 'AUTH_ERR'}
    if key.get('revoked'):
        failure(mw, sess, 'API_KEY', data['username'], 'Api key is expired.')
        return {'response_type': 'EXPIRED'}
    if not sess.origin.secure_transport:
        key.update(revoked=True, revoked_reason='Attempt to use over an insecure transport')
        mw.state.save_api_key(key)
        failure(mw, sess, 'API_KEY', data['username'], 'API key revoked due to insecure transport.')
        return {'response_type': 'EXPIRED'}
    return success(mw, sess, key['username'], 'api_key', data, authenticate_user(mw, key['username']),
                   key={'id': key['id'], 'name': key['name']})


@method('auth.login_with_api_key', no_auth=True)
def login_with_api_key(mw, sess, api_key):
    """Up to 24.10 the key alone; from 25.04 a login_ex wrapper with the key's user
    (stable/goldeye mw:plugins/auth.py:1161-1195): an unknown key sleeps 1-2 s and answers false."""
    if mw.profile.user_api_keys:
        key = find_key(mw, api_key, include_revoked=True)
        if key is None:
            mw.fail_delay(sess)
            return False
        from .methods_auth import login_ex
        r = login_ex(mw, sess, {'mechanism': 'API_KEY_PLAIN', 'username': key['username'], 'api_key': api_key,
                                'login_options': {'user_info': False}})
        return r['response_type'] == 'SUCCESS'
    key = find_key(mw, api_key)
    if not key:
        return False
    sess.login('root', 'api_key', key={'id': key['id'], 'name': key['name']})
    return True


@method('api_key.create')
def api_key_create(mw, sess, api_key_create):
    data = api_key_create
    if not isinstance(data, dict) or not is_of_type(data.get('name'), str) or not data['name']:
        raise ValidationErrors([('api_key_create.name', FIELD_REQUIRED, 22)])
    if any(k['name'] == data['name'] for k in mw.state.api_keys()):
        raise ValidationErrors([('api_key_create', 'name must be unique', 22)])
    rec = {'name': data['name'], 'created_at': {'$date': int(time.time() * 1000)}}
    if mw.profile.user_api_keys:
        extra = set(data) - {'name', 'username', 'expires_at'}
        if extra:
            raise ValidationErrors([('api_key_create.%s' % k, 'Extra inputs are not permitted', 22) for k in extra])
        if 'username' not in data:
            raise ValidationErrors([('api_key_create.username', FIELD_REQUIRED, 22)])
        if not mw.state.get_user(data['username']):
            raise ValidationErrors([('api_key_create', 'User does not exist.', 22)])
        if authenticate_user(mw, data['username']) is None:
            raise ValidationErrors([('api_key_create', 'User lacks privilege role membership.', 22)])
        rec.update(username=data['username'], expires_at=data.get('expires_at'))
    else:
        if 'username' in data:
            raise ValidationErrors([('api_key_create.username', 'Field was not expected', 22)])
        rec['allowlist'] = data.get('allowlist', [{'method': '*', 'resource': '*'}])
    rec['hash'] = ''
    kid = mw.state.add_api_key(rec)
    key = '%d-%s' % (kid, ''.join(secrets.choice(_ALPHABET) for _char in range(64)))
    rec.update(id=kid, hash=_hash(key))
    mw.state.save_api_key(rec)
    return dict(_public(mw, rec), key=key)


@method('api_key.query')
def api_key_query(mw, sess, filters=None, options=None):
    return filter_list([_public(mw, r) for r in mw.state.api_keys()], filters, options)


@method('api_key.delete')
def api_key_delete(mw, sess, id_):
    if not mw.state.delete_api_key(id_):
        raise CallError('API key %r does not exist' % (id_,), errno.ENOENT)
    return True


@method('api_key.revoke', present=since('user_api_keys'), private=lambda p: True)
def api_key_revoke(mw, sess, key_id, reason):
    """Private (stable/goldeye mw:plugins/api_key.py:384-394)."""
    for k in mw.state.api_keys():
        if k['id'] == key_id:
            k.update(revoked=True, revoked_reason=reason)
            mw.state.save_api_key(k)
    return None


# tokens ---------------------------------------------------------------------------------------
@method('auth.generate_token', no_authz=True)
def generate_token(mw, sess, ttl=600, attrs=None, match_origin=True, single_use=False):
    """stable/goldeye mw:plugins/auth.py:380-437: a token for TOKEN_PLAIN / login_with_token.
    [sim] ttl and match_origin are kept, not enforced."""
    if not single_use and mw.aal != 'LEVEL_1':
        raise CallError('Multi-use authentication tokens are not supported at current authenticator level.',
                        errno.EOPNOTSUPP)
    if sess.credentials.kind == 'LOGIN_ONETIME_PASSWORD':
        raise CallError('%s: the current session type does not support creation of authentication tokens.'
                        % sess.credentials.kind, errno.EOPNOTSUPP)
    token = secrets.token_urlsafe(48)
    mw.tokens[token] = {'username': sess.username, 'roles': sess.credentials.roles, 'attrs': attrs or {},
                        'single_use': bool(single_use), 'ttl': ttl}
    return token


@method('auth.login_with_token', no_auth=True)
def login_with_token(mw, sess, token):
    if mw.profile.login_ex:
        from .methods_auth import login_ex
        return login_ex(mw, sess, {'mechanism': 'TOKEN_PLAIN', 'token': token,
                                   'login_options': {'user_info': False}})['response_type'] == 'SUCCESS'
    entry = mw.tokens.get(token)
    if entry is None or entry['attrs']:
        return False
    sess.login(entry['username'], 'token', entry['roles'])
    return True
