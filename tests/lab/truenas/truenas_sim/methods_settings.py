# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""system.general.config / system.general.update and system.security.config.

- system.general: CORE truenas/13.0-stable mw:plugins/system.py:888-1360; SCALE
  mw:plugins/system_general/update.py of each branch. The entry is the system_settings row with
  stg_gui* named ui_*, pwenc_check dropped, ``*_is_set`` beside the nullable reporting fields and a
  null one shown as True (bluefin :86-107). Its key set changes with the era (profiles.py
  general_*). The update is the old schema's Dict 'general_settings' up to 25.04 and a pydantic
  model from 25.10; values other than their types (ports, addresses, enums, languages, time
  zones, keymaps) are not checked [sim], the certificate only against the box's one certificate.
- system.security: stable/cobia .. stable/26 mw:plugins/security/update.py, config only.
  system.security.update is left out: from stable/dragonfish it is a job that reboots the box to
  apply FIPS / STIG, which a lab box does not do.
"""
import errno

from .errors import EXTRA_FORBIDDEN, SchemaError, ValidationErrors, type_message
from .registry import method, since

# [sim] the box's one certificate, the self-signed one a real box makes at first boot: named
# freenas_default on CORE (truenas/13.0-stable mw:plugins/crypto.py:2914-2920), truenas_default on
# SCALE (stable/electriceel mw:plugins/crypto_/utils.py:34). certificate.get_instance answers far
# more keys; these are plausible values, not read from a box.
CERT_ID = 1
REDACTED = '********'   # stable/goldeye mw:api/base/types/string.py:75 SECRET_VALUE


def _cert(mw):
    name = 'truenas_default' if mw.profile.scale else 'freenas_default'
    return {'id': CERT_ID, 'type': 8, 'name': name, 'cert_type': 'CERTIFICATE', 'cert_type_existing': True,
            'cert_type_CSR': False, 'common': 'localhost', 'san': ['DNS:localhost'], 'key_type': 'RSA',
            'key_length': 2048, 'revoked': False, 'expired': False}


def _entry_keys(p):
    """The entry's keys in the order of the era's schema (bluefin :50-79, cobia :48-75, dragonfish
    :48-74, stable/goldeye mw:api/v25_10_0/system_general.py:28-65, stable/26
    mw:api/v26_0_0/system_general.py:28-79); CORE has no entry schema: its model's columns
    (mw:plugins/system.py:888-906) [sim: order only]."""
    keys = ['id', 'ui_certificate', 'ui_httpsport', 'ui_httpsredirect', 'ui_httpsprotocols', 'ui_port', 'ui_address',
            'ui_v6address']
    if p.general_scale_ui:
        keys += ['ui_allowlist', 'ui_consolemsg', 'ui_x_frame_options']
    keys += ['kbdmap'] + (['language'] if p.general_language else []) + ['timezone']
    if p.general_crash_reporting:
        keys += ['crash_reporting']
    keys += ['usage_collection']
    if p.general_birthday:
        keys += ['birthday']
    keys += ['wizardshown']
    if p.general_crash_reporting:
        keys += ['crash_reporting_is_set']
    keys += ['usage_collection_is_set']
    if p.general_scale_ui:
        keys += ['ds_auth']
    if p.general_cert_id:
        keys += ['ui_certificate_name']
    return keys


def general_config(mw, sess=None):
    p = mw.profile
    row = mw.state.get_config('system_general')
    out = dict(row)
    # the certificate: its entry (bluefin :92-95; CORE a certificate.query row, :931-936), its id
    # and name on 26 (stable/26 :65-70)
    if p.general_cert_id:
        cert = _cert(mw) if row['ui_certificate'] is not None else None
        out['ui_certificate_name'] = cert['name'] if cert else None
    else:
        out['ui_certificate'] = _cert(mw) if row['ui_certificate'] is not None else None
    for k in ('crash_reporting', 'usage_collection'):
        if k in row:
            out[k + '_is_set'] = row[k] is not None
            if row[k] is None:
                out[k] = True
    if p.security_stig and row['usage_collection'] is None:
        # never shown enabled in GPOS STIG mode (stable/fangtooth :91-95, stable/goldeye :69-73)
        out['usage_collection'] = not mw.state.get_config('system_security')['enable_gpos_stig']
    creds = sess.credentials if sess is not None else None
    if p.general_roles and creds and creds.is_user_session and not (
            creds.full_admin or creds.has_role('SYSTEM_GENERAL_WRITE')):
        # ui_certificate is private from stable/dragonfish (:50-53) and a Secret from stable/goldeye
        # (mw:api/v25_10_0/system_general.py:31): redacted for a session without FULL_ADMIN or the
        # service's WRITE role (stable/electriceel mw:main.py:1536-1545, stable/goldeye :836-848)
        out['ui_certificate'] = REDACTED
    return {k: out[k] for k in _entry_keys(p)}


def _read_roles(prefix, attr):
    """Who besides FULL_ADMIN may call a ConfigService's config: on stable/cobia the
    <role_prefix>_READ role when the service has a prefix (mw:main.py:916-919); on
    stable/dragonfish and stable/electriceel READONLY_ADMIN for every config and the prefix's READ
    role (electriceel mw:main.py:1001-1008); from stable/fangtooth the prefix's READ role only
    (stable/goldeye mw:main.py:312-320), which READONLY_ADMIN includes like every *_READ role
    (stable/fangtooth mw:role.py:251). Up to 22.12 there are no roles: FULL_ADMIN only."""
    def roles(p):
        out = ('%s_READ' % prefix,) if getattr(p, attr) else ()
        if p.general_roles:   # 24.04 and later
            out += ('READONLY_ADMIN',)
        return out
    return roles


def _write_roles(prefix, attr):
    return lambda p: ('%s_WRITE' % prefix,) if getattr(p, attr) else ()


@method('system.general.config', roles=_read_roles('SYSTEM_GENERAL', 'general_roles'))
def config(mw, sess):
    return general_config(mw, sess)


# The update's fields and their types: (kind, nullable). CORE truenas/13.0-stable
# mw:plugins/system.py:1254-1274; SCALE the entry patched (bluefin :195-207, electriceel :191-203,
# stable/fangtooth :210-222): without id, wizardshown, the *_is_set keys; ui_certificate an id;
# rollback_timeout and ui_restart_delay added. stable/goldeye mw:api/v25_10_0/system_general.py:68-79
# and stable/26 mw:api/v26_0_0/system_general.py:89-106 exclude the same and ui_certificate_name.
def _update_fields(p):
    f = {'ui_certificate': (int, True), 'ui_httpsport': (int, False), 'ui_httpsredirect': (bool, False),
         'ui_httpsprotocols': (list, False), 'ui_port': (int, False), 'ui_address': (list, False),
         'ui_v6address': (list, False), 'kbdmap': (str, False), 'timezone': (str, False),
         'usage_collection': (bool, True)}
    if p.general_language:
        f['language'] = (str, False)
    if p.general_crash_reporting:
        f['crash_reporting'] = (bool, True)
    if p.core:
        # deprecated, handed on to system.advanced.update (:1291-1302) [sim: accepted, not kept]
        f.update(sysloglevel=(str, False), syslogserver=(str, False))
        return f
    f.update(ui_allowlist=(list, False), ui_consolemsg=(bool, False), ui_x_frame_options=(str, False),
             ds_auth=(bool, False), rollback_timeout=(int, True), ui_restart_delay=(int, True))
    if p.general_birthday:
        f['birthday'] = (dict, False)   # a Datetime ({"$date": ms} on the wire) [sim: type only]
    return f


_NOT_A = {bool: 'Not a boolean', int: 'Not an integer', str: 'Not a string', list: 'Not a list',
          dict: 'Not a datetime'}   # mw:schema.py (stable/bluefin :257, :585, :605, :650)
_NOT_STORED = ('rollback_timeout', 'ui_restart_delay', 'sysloglevel', 'syslogserver')


def _type_error(p, value, kind, nullable):
    """The schema's word for a value of the wrong type, or None."""
    if value is None:
        if nullable:
            return None
        return type_message(kind) if p.general_pydantic else 'null not allowed'   # mw:schema/attribute.py:47-49
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        # the old Int takes a numeric string too (stable/fangtooth mw:schema/integer_schema.py:10-20);
        # pydantic is strict (mw:api/base/model.py:151)
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            not p.general_pydantic and isinstance(value, str) and value.strip().lstrip('-').isdigit())
    elif kind is str:
        # the old Str takes an integer as its text (stable/bluefin mw:schema.py:250-257)
        ok = isinstance(value, str) or (not p.general_pydantic and isinstance(value, int)
                                        and not isinstance(value, bool))
    else:
        ok = isinstance(value, kind)
    if ok:
        return None
    return type_message(kind) if p.general_pydantic else _NOT_A[kind]


def _clean(value, kind):
    if kind is int and isinstance(value, str):
        return int(value)
    if kind is str and isinstance(value, int):
        return str(value)
    return value


def _validate_args(p, data):
    """The arguments as each era's schema checks them: CORE raises the first bad key as a schema
    Error (errors.SchemaError); SCALE's old schema collects 'general_settings.<key>' entries
    (stable/bluefin mw:schema.py:799-808, :832-838); pydantic words them its way (stable/goldeye
    mw:api/base/handler/accept.py:70-84, 'Extra inputs are not permitted' for an unknown key)."""
    fields = _update_fields(p)
    if not isinstance(data, dict):
        if p.core:
            raise SchemaError('general_settings', 'A dict was expected')
        raise ValidationErrors([('general_settings', type_message(dict) if p.general_pydantic
                                 else 'A dict was expected', errno.EINVAL)])
    verrors = ValidationErrors()
    for key, value in data.items():
        if key not in fields:
            msg = EXTRA_FORBIDDEN if p.general_pydantic else 'Field was not expected'
        else:
            msg = _type_error(p, value, *fields[key])
        if msg is None:
            continue
        if p.core:
            raise SchemaError(key, msg)
        verrors.add('general_settings.%s' % key, msg)
    verrors.check()
    return {k: _clean(v, fields[k][0]) for k, v in data.items()}


@method('system.general.update', roles=_write_roles('SYSTEM_GENERAL', 'general_roles'))
def update(mw, sess, data):
    p = mw.profile
    data = _validate_args(p, data)
    row = mw.state.get_config('system_general')
    new = dict(row, **{k: v for k, v in data.items() if k not in _NOT_STORED})
    # The certificate must exist (CORE mw:plugins/system.py:1217-1226, bluefin :170-179); from
    # stable/fangtooth only a changed one is checked (:174-186), from stable/goldeye under the
    # schema's name (SettingsHelper, mw:utils/service/settings.py:15-23; update.py:149-160).
    # [sim] the other checks of validate_general_settings pass: the values are the box's own.
    # The stored id is always CERT_ID, so "checked always" and "checked when changed" agree.
    if new['ui_certificate'] != CERT_ID:
        schema = 'general_settings' if p.general_pydantic else 'general_settings_update'
        raise ValidationErrors([('%s.ui_certificate' % schema,
                                 'Please specify a valid certificate which exists in the system', errno.EINVAL)])
    mw.state.set_config('system_general', new)
    # [sim] the UI is not restarted (ui_restart / ui_restart_delay): the simulator's listeners keep
    # their ports, and ui_httpsredirect is stored only.
    return general_config(mw, sess)


@method('system.security.config', present=since('security'),
        roles=_read_roles('SYSTEM_SECURITY', 'security_stig'))
def security_config(mw, sess):
    """{id, enable_fips} on stable/cobia .. stable/electriceel (mw:plugins/security/update.py:23-27,
    no role_prefix: FULL_ADMIN only); from stable/fangtooth the GPOS STIG switch and the password
    policy, null when unset (mw:api/v25_04_2/system_security.py:29-70, stable/goldeye
    mw:api/v25_10_2/system_security.py, stable/26 mw:api/v26_0_0/system_security.py:30-70), role
    prefix SYSTEM_SECURITY (stable/fangtooth mw:plugins/security/update.py:41); READONLY_ADMIN may
    read it from 24.04 (see _read_roles)."""
    return dict(mw.state.get_config('system_security'))
