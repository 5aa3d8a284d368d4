# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""user.query/get_instance/update and the per-user 2FA methods (stable/cobia ..
stable/26 mw:plugins/account_/2fa.py; mw:plugins/account.py do_update)."""
import pyotp

from . import accounts
from .errors import CallError, ValidationErrors, instance_not_found, is_of_type, type_message
from .registry import method, since
from .users_view import filter_list, provisioning_uri as _uri, twofactor_config as _tfc, user_entry

PRIVATE_FROM_2504 = since('user_2fa_private')   # private from 25.04 (ac1f80b730, in TS-25.04.0)


@method('user.query', roles=('ACCOUNT_READ',))
def query(mw, sess, filters=None, options=None):
    return filter_list([user_entry(mw, u) for u in mw.state.users()], filters, options)


@method('user.get_instance', roles=('ACCOUNT_READ',))
def get_instance(mw, sess, id_, options=None):
    user = mw.state.get_user_by_id(id_) if is_of_type(id_, int) else None
    if user is None:
        raise instance_not_found('User', id_)
    return user_entry(mw, user)


_UPDATABLE = {'full_name', 'email', 'sshpubkey', 'locked', 'home', 'shell', 'smb', 'groups', 'password',
              'password_disabled', 'sudo_commands', 'sudo_commands_nopasswd', 'username', 'group', 'home_mode',
              'home_create', 'random_password'}
_TYPES = {'full_name': str, 'locked': bool, 'smb': bool, 'groups': list, 'password_disabled': bool,
          'ssh_password_enabled': bool, 'username': str, 'home': str, 'shell': str}


@method('user.update', roles=('ACCOUNT_WRITE',))
def update(mw, sess, id_, user_update):
    """do_update: validation as user.create's (the schema is user_update), then the account,
    users.oath and sshd follow (service.control RELOAD ssh and user)."""
    from .methods_account import _validate_user
    p = mw.profile
    if not is_of_type(id_, int):
        raise ValidationErrors([('id', 'Input should be a valid integer', 22)])
    user = mw.state.get_user_by_id(id_)
    if user is None:
        raise instance_not_found('User', id_)
    data = user_update
    if not isinstance(data, dict):
        raise ValidationErrors([('user_update', type_message(dict), 22)])
    allowed = _UPDATABLE | ({'ssh_password_enabled'} if p.ssh_password_enabled else set())
    bad = [('user_update.%s' % k, 'Extra inputs are not permitted', 22) for k in data if k not in allowed]
    bad += [('user_update.%s' % k, type_message(t), 22) for k, t in _TYPES.items()
            if k in data and not is_of_type(data[k], t)]
    if bad:
        raise ValidationErrors(bad)
    _validate_user(mw, data, 'user_update', old=user)
    if user['builtin'] and 'username' in data and data['username'] != user['username']:
        raise ValidationErrors([('user_update.username', 'Cannot change the username of a builtin user', 22)])
    changed_ssh = data.get('ssh_password_enabled', user['ssh_password_enabled']) != user['ssh_password_enabled']
    password = data.pop('password', None)
    for k in ('home_mode', 'home_create', 'random_password'):
        data.pop(k, None)
    user.update(data)
    mw.state.save_user(user)
    if password:
        accounts.set_unix_password(mw.root or '/', user['username'], password)
    mw.render_user()
    if changed_ssh:
        mw.reload_ssh()  # the Match blocks come from this flag
    return user_entry(mw, user)


def _check_self_or_admin(mw, sess, username):
    # 24.04+: the caller must be that user or FULL_ADMIN, else EPERM (mw:plugins/account_/2fa.py)
    if mw.profile.per_user_options and sess.username != username and not mw.is_full_admin(sess):
        raise CallError('Not authorized to renew the secret of %s' % username, 1)


@method('user.renew_2fa_secret', present=since('per_user_secret'))
def renew_2fa_secret(mw, sess, username, twofactor_options=None):
    p = mw.profile
    user = mw.find_user(username)
    _check_self_or_admin(mw, sess, username)
    opts = twofactor_options
    if opts is not None:
        if not p.per_user_options:  # 23.10 takes the username only (mw:plugins/account_/2fa.py)
            raise ValidationErrors([('twofactor_options', 'Extra inputs are not permitted on 23.10', 22)])
        if not isinstance(opts, dict) or set(opts) - {'otp_digits', 'interval'}:
            raise ValidationErrors([('twofactor_options', 'Only otp_digits and interval are accepted', 22)])
        errs = []
        if 'otp_digits' in opts and (not is_of_type(opts['otp_digits'], int) or not 6 <= opts['otp_digits'] <= 8):
            errs.append(('twofactor_options.otp_digits', 'Value should be between 6 and 8', 22))
        if 'interval' in opts:
            iv = opts['interval']
            if p.interval_choices and iv not in p.interval_choices:   # 26: Literal[30, 60]
                errs.append(('twofactor_options.interval', 'Input should be 30 or 60', 22))
            elif not is_of_type(iv, int) or iv < 5:                        # <=25.10: >= 5
                errs.append(('twofactor_options.interval', 'Should be greater or equal than 5', 22))
        if errs:
            raise ValidationErrors(errs)
        user.update(opts)  # partial update allowed
    user['secret'] = pyotp.random_base32()
    mw.state.save_user(user)
    tf = mw.state.get_config('twofactor')
    # users.oath follows the secret; ssh reloaded when SSH 2FA is on (mw:plugins/ssh.py, mw:plugins/service.py); 25.04+ the
    # `user` etc group rewrites users.oath whenever 2FA is enabled (mw:etc_files/local/users.oath(.mako)).
    mw.render_user()
    if tf['enabled'] and tf['services'].get('ssh'):
        mw.reload_ssh()
    entry = user_entry(mw, user)
    if p.renew_returns_config:
        entry['twofactor_config'] = _tfc(mw, user)  # 25.04+: the new URI is in the answer
    return entry


@method('user.unset_2fa_secret', present=since('per_user_secret'))
def unset_2fa_secret(mw, sess, username):
    user = mw.find_user(username)
    tf = mw.state.get_config('twofactor')
    if mw.profile.unset_needs_2fa_off and tf['enabled']:
        raise CallError('Please disable Two Factor Authentication first', 22)  # 23.10-25.04
    user['secret'] = None
    mw.state.save_user(user)
    if mw.profile.unset_regenerates_oath:
        mw.render_user()  # 25.10.0+ (b6330c7851); earlier the file stays stale (PR 17242)
    return None


def _need_secret(mw, username):
    user = mw.find_user(username)
    if not user.get('secret'):
        raise CallError('%s does not have two factor authentication configured' % username, 22)  # [sim] text
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
        raise CallError('Please enable Two Factor Authentication first.', 22)  # raises when off
    user = _need_secret(mw, username)
    digits, interval = mw.user_otp_params(user)
    return mw.verify_totp(user['secret'], digits, interval, token)
