"""user.* (brief 2.3, 3.2, 4)."""
import pyotp

from .errors import CallError, InvalidParams, ValidationErrors, is_of_type
from .registry import method, since
from .users_view import filter_list, provisioning_uri as _uri, twofactor_config as _tfc, user_entry

PRIVATE_FROM_2504 = since('user_2fa_private')   # brief 2.3: private from 25.04 [V]


@method('user.query')
def query(mw, sess, filters=None, options=None):
    return filter_list([user_entry(mw, u) for u in mw.state.users()], filters, options)


@method('user.get_instance')
def get_instance(mw, sess, uid):
    return filter_list([user_entry(mw, u) for u in mw.state.users()], [['id', '=', uid]], {'get': True})


_UPDATABLE = {'full_name', 'email', 'sshpubkey', 'locked'}


@method('user.update')
def update(mw, sess, uid, data):
    p = mw.profile
    if not is_of_type(uid, int):
        raise InvalidParams([('id', 'Not an integer', 22)])
    user = mw.state.get_user_by_id(uid)
    if user is None:
        raise CallError('User %r does not exist' % uid, 2, name='ENOENT')
    if not isinstance(data, dict):
        raise InvalidParams([('user_update', 'Expected an object', 22)])
    allowed = _UPDATABLE | ({'ssh_password_enabled'} if p.ssh_password_enabled else set())
    bad = [('user_update.%s' % k, 'Field was not expected', 22) for k in data if k not in allowed]
    if bad:
        raise InvalidParams(bad)  # [I-sim]: other user fields are not simulated
    if 'ssh_password_enabled' in data:
        if not isinstance(data['ssh_password_enabled'], bool):
            raise InvalidParams([('user_update.ssh_password_enabled', 'Not a boolean', 22)])
        tf = mw.state.get_config('twofactor')
        if (p.ssh_pw_needs_secret and data['ssh_password_enabled'] and not user['ssh_password_enabled']
                and tf['enabled'] and tf['services'].get('ssh') and not user.get('secret')):
            # brief 3.2 [V] (25.04+, 9a007ab558)
            raise ValidationErrors([('user_update.ssh_password_enabled',
                                     '2FA for this user needs to be explicitly configured before '
                                     'password based SSH access is enabled.', 22)])
    changed_ssh = data.get('ssh_password_enabled', user['ssh_password_enabled']) != user['ssh_password_enabled']
    user.update(data)
    mw.state.save_user(user)
    if changed_ssh:
        mw.reload_ssh()  # the Match blocks come from this flag (brief 3.4 [V]); reload on change [I-sim]
    return user_entry(mw, user)


def _check_self_or_admin(mw, sess, username):
    # 24.04+: the caller must be that user or FULL_ADMIN, else EPERM (brief 2.3 [V])
    if mw.profile.per_user_options and sess.username != username and not mw.is_full_admin(sess):
        raise CallError('Not authorized to renew the secret of %s' % username, 1)


@method('user.renew_2fa_secret', present=since('per_user_secret'))
def renew_2fa_secret(mw, sess, username, twofactor_options=None):
    p = mw.profile
    user = mw.find_user(username)
    _check_self_or_admin(mw, sess, username)
    opts = twofactor_options
    if opts is not None:
        if not p.per_user_options:  # 23.10 takes the username only (brief 2.3 [V])
            raise InvalidParams([('twofactor_options', 'Field was not expected on 23.10', 22)])
        if not isinstance(opts, dict) or set(opts) - {'otp_digits', 'interval'}:
            raise InvalidParams([('twofactor_options', 'Only otp_digits and interval are accepted', 22)])
        errs = []
        if 'otp_digits' in opts and (not is_of_type(opts['otp_digits'], int) or not 6 <= opts['otp_digits'] <= 8):
            errs.append(('twofactor_options.otp_digits', 'Value should be between 6 and 8', 22))
        if 'interval' in opts:
            iv = opts['interval']
            if p.interval_choices and iv not in p.interval_choices:   # 26: Literal[30, 60] [V]
                errs.append(('twofactor_options.interval', 'Input should be 30 or 60', 22))
            elif not is_of_type(iv, int) or iv < 5:                        # <=25.10: >= 5 [V]
                errs.append(('twofactor_options.interval', 'Should be greater or equal than 5', 22))
        if errs:
            raise InvalidParams(errs)
        user.update(opts)  # partial update allowed [V]
    user['secret'] = pyotp.random_base32()
    mw.state.save_user(user)
    tf = mw.state.get_config('twofactor')
    # users.oath follows the secret; ssh reloaded when SSH 2FA is on (brief 4 [V]); 25.04+ the
    # `user` etc group rewrites users.oath whenever 2FA is enabled (brief 3.1 [V]).
    mw.render_user()
    if tf['enabled'] and tf['services'].get('ssh'):
        mw.reload_ssh()
    entry = user_entry(mw, user)
    if p.renew_returns_config:
        entry['twofactor_config'] = _tfc(mw, user)  # 25.04+: the new URI is in the answer [V]
    return entry


@method('user.unset_2fa_secret', present=since('per_user_secret'))
def unset_2fa_secret(mw, sess, username):
    user = mw.find_user(username)
    tf = mw.state.get_config('twofactor')
    if mw.profile.unset_needs_2fa_off and tf['enabled']:
        raise CallError('Please disable Two Factor Authentication first', 22)  # 23.10-25.04 [V]
    user['secret'] = None
    mw.state.save_user(user)
    if mw.profile.unset_regenerates_oath:
        mw.render_user()  # 25.10.0+ (b6330c7851 [V]); earlier the file stays stale (brief 7.9)
    return None


def _need_secret(mw, username):
    user = mw.find_user(username)
    if not user.get('secret'):
        raise CallError('%s does not have two factor authentication configured' % username, 22)  # [I-sim] text
    return user


@method('user.provisioning_uri', present=since('per_user_secret'), private=PRIVATE_FROM_2504)
def provisioning_uri(mw, sess, username):
    return _uri(mw, _need_secret(mw, username))


@method('user.twofactor_config', present=since('user_twofactor_config'), private=PRIVATE_FROM_2504)
def twofactor_config(mw, sess, username):
    return _tfc(mw, mw.find_user(username))


@method('user.verify_twofactor_token', present=since('per_user_secret'), private=PRIVATE_FROM_2504)
def verify_twofactor_token(mw, sess, username, token):
    tf = mw.state.get_config('twofactor')
    if not tf['enabled']:
        raise CallError('Please enable Two Factor Authentication first.', 22)  # raises when off [V]
    user = _need_secret(mw, username)
    digits, interval = mw.user_otp_params(user)
    return mw.verify_totp(user['secret'], digits, interval, token)
