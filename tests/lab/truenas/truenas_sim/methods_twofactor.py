# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""auth.twofactor.* (truenas/13.0-stable and stable/bluefin mw:plugins/auth.py; stable/cobia ..
stable/26 mw:plugins/auth_/2fa.py)."""
import pyotp

from .errors import CallError, ValidationErrors, is_of_type
from .registry import method, since

ENABLE_FIRST = 'Please enable Two Factor Authentication first.'  # truenas/13.0-stable, stable/bluefin mw:plugins/auth.py


def tf_config(mw):
    tf = mw.state.get_config('twofactor')
    tf['services'] = dict(tf['services'])
    return tf  # the global secret is returned in plain text on CORE / 22.12 (mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py)


@method('auth.twofactor.config')
def config(mw, sess):
    return tf_config(mw)


def _validate(mw, data):
    p = mw.profile
    if not isinstance(data, dict):
        raise ValidationErrors([('auth_twofactor_update', 'Input should be a valid dictionary', 22)])
    # mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py: update accepts enabled, window, services.ssh, and otp_digits/interval up to
    # 23.10; 24.04+ refuses otp_digits/interval as a schema error (stable/dragonfish
    # mw:plugins/auth_/2fa.py: the model has no such fields); `id`/`secret` never.
    allowed = {'enabled', 'window', 'services'} | ({'otp_digits', 'interval'} if p.global_digits else set())
    errors = [('auth_twofactor_update.%s' % k, 'Extra inputs are not permitted', 22) for k in data if k not in allowed]
    if errors:
        raise ValidationErrors(errors)
    if 'enabled' in data and not isinstance(data['enabled'], bool):
        errors.append(('auth_twofactor_update.enabled', 'Input should be a valid boolean', 22))
    if 'window' in data and (not is_of_type(data['window'], int) or data['window'] < 0):
        errors.append(('auth_twofactor_update.window', 'Input should be greater than or equal to 0', 22))
    if 'otp_digits' in data and (not is_of_type(data['otp_digits'], int) or not 6 <= data['otp_digits'] <= 8):
        errors.append(('auth_twofactor_update.otp_digits', 'Value should be between 6 and 8', 22))
    if 'interval' in data and (not is_of_type(data['interval'], int) or data['interval'] < 5):
        errors.append(('auth_twofactor_update.interval', 'Should be greater or equal than 5', 22))
    svc = data.get('services', {})
    if not isinstance(svc, dict) or set(svc) - {'ssh'} or not isinstance(svc.get('ssh', False), bool):
        errors.append(('auth_twofactor_update.services', 'Only {"ssh": bool} is accepted', 22))
    if errors:
        raise ValidationErrors(errors)


@method('auth.twofactor.update')
def update(mw, sess, data):
    p = mw.profile
    _validate(mw, data)
    old = tf_config(mw)
    new = dict(old, **{k: v for k, v in data.items() if k != 'services'})
    new['services'] = dict(old['services'], **data.get('services', {}))
    if p.noop_update_silent and new == old:
        return old  # 23.10+: nothing changed, nothing written (mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py)
    if p.global_secret and new['enabled'] and not new.get('secret'):
        new['secret'] = pyotp.random_base32()  # first enable makes the secret (mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py)
    if p.wipe_on_digits_change and (new['otp_digits'], new['interval']) != (old['otp_digits'], old['interval']):
        for u in mw.state.users():  # 23.10 only: every user's secret wiped (mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py, PR #11592)
            u['secret'] = None
            mw.state.save_user(u)
    mw.state.set_config('twofactor', new)
    # Side effects by version (mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py): reload ssh (all); etc.generate user (25.04+);
    # service.control RELOAD ssh and user (25.10+); etc.generate pam (26+).
    if p.aal and not new['enabled']:
        # stable/fangtooth mw:plugins/auth_/2fa.py:113, stable/goldeye :94-99: 2FA off means LEVEL_1
        mw.aal = 'LEVEL_1'
    mw.render_user()
    mw.render_pam()
    mw.reload_ssh()
    return tf_config(mw)


# Global-secret era (CORE 13, SCALE <= 22.12), truenas/13.0-stable, stable/bluefin mw:plugins/auth.py
@method('auth.twofactor.verify', present=since('global_secret'))
def verify(mw, sess, token):
    tf = tf_config(mw)
    if not tf['enabled']:
        raise CallError(ENABLE_FIRST, 22)
    return mw.verify_totp(tf['secret'], tf['otp_digits'], tf['interval'], token)


@method('auth.twofactor.renew_secret', present=since('global_secret'))
def renew_secret(mw, sess):
    tf = tf_config(mw)
    if not tf['enabled']:
        raise CallError(ENABLE_FIRST, 22)  # "Needs 2FA enabled"; message reused [sim]
    tf['secret'] = pyotp.random_base32()
    mw.state.set_config('twofactor', tf)
    if tf['services'].get('ssh'):
        mw.reload_ssh()  # reloads ssh if services.ssh is on
    return True


@method('auth.twofactor.provisioning_uri', present=since('global_secret'))
def provisioning_uri(mw, sess):
    tf = tf_config(mw)
    if not tf.get('secret'):
        raise CallError('No secret has been generated yet', 22)  # [sim]
    # label "<hostname>@<product_name>", issuer iXsystems; product name values are [sim]
    return pyotp.TOTP(tf['secret'], digits=tf['otp_digits'], interval=tf['interval']).provisioning_uri(
        name='%s@%s' % (mw.hostname(), mw.profile.product_name), issuer_name='iXsystems')
