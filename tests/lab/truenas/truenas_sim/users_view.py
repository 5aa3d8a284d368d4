# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a user looks in results, and the query filters the API takes."""
import pyotp

from .errors import MatchNotFound, ValidationErrors


def provisioning_uri(mw, user):
    # mw:plugins/account_/2fa.py: pyotp provisioning_uri, label "<username>-<hostname>@TrueNAS", issuer iXsystems
    digits, interval = mw.user_otp_params(user)
    return pyotp.TOTP(user['secret'], digits=digits, interval=interval).provisioning_uri(
        name='%s-%s@TrueNAS' % (user['username'], mw.hostname()), issuer_name='iXsystems')


def twofactor_config(mw, user):
    # mw:plugins/account_/2fa.py: {provisioning_uri|null, secret_configured, interval, otp_digits}
    digits, interval = mw.user_otp_params(user)
    return {'provisioning_uri': provisioning_uri(mw, user) if user.get('secret') else None,
            'secret_configured': bool(user.get('secret')), 'interval': interval, 'otp_digits': digits}


def _group_row(g):
    """The datastore row of a group, as user.query nests it (bsdgrp_ prefixed, mw datastore)."""
    return {'id': g['id'], 'bsdgrp_gid': g['gid'], 'bsdgrp_group': g['name'], 'bsdgrp_builtin': g.get('builtin', False),
            'bsdgrp_sudo_commands': g.get('sudo_commands', []),
            'bsdgrp_sudo_commands_nopasswd': g.get('sudo_commands_nopasswd', []), 'bsdgrp_smb': g.get('smb', False)}


def user_entry(mw, user):
    """user.query's entry (stable/goldeye mw:api/v25_10_2/user.py:20-110 UserEntry), with the
    fields of the era: ssh_password_enabled and twofactor_auth_configured from 23.10, roles from
    24.04, api_keys from 25.04, password aging from 25.10. [sim] sid, userns_idmap and the SMB hash
    are fixed values."""
    from .accounts import shadow_hash
    from .accounts_model import authenticate_user, group_by_gid
    p = mw.profile
    gid = user.get('gid', user['uid'])
    group = group_by_gid(mw, gid) or {'id': None, 'gid': gid, 'name': user['username']}
    e = {'id': user['id'], 'uid': user['uid'], 'username': user['username'],
         'unixhash': shadow_hash(mw.root or '/', user['username']) or '*', 'smbhash': '*',
         'home': user['home'], 'shell': user.get('shell') or ('/usr/bin/zsh' if p.scale else '/bin/csh'),
         'full_name': user['full_name'], 'builtin': user['builtin'], 'smb': user.get('smb', not user['builtin']),
         'group': _group_row(group), 'groups': list(user.get('groups', [])),
         'password_disabled': user.get('password_disabled', False), 'sshpubkey': user.get('sshpubkey'),
         'locked': user.get('locked', False), 'sudo_commands': user.get('sudo_commands', []),
         'sudo_commands_nopasswd': user.get('sudo_commands_nopasswd', []), 'email': user.get('email'),
         'local': True, 'id_type_both': False}
    if p.core:
        e.update(microsoft_account=False, attributes={})
    else:
        e.update(immutable=user['builtin'], sid=None)
    if p.ssh_password_enabled:
        e['ssh_password_enabled'] = user['ssh_password_enabled']      # 23.10+
    if p.per_user_secret:
        e['twofactor_auth_configured'] = bool(user.get('secret'))   # 23.10+
    if p.rank >= 3:
        e['roles'] = list(authenticate_user(mw, user['username']) or [])
    if p.user_api_keys:
        e['api_keys'] = [k['id'] for k in mw.state.api_keys() if k.get('username') == user['username']]
        e.pop('id_type_both')
    if p.rank >= 5:
        e.update(last_password_change=None, password_age=None, password_history=None, password_change_required=False)
    return e


def group_entry(mw, g):
    users = [u['id'] for u in mw.state.users() if u.get('gid', u['uid']) == g['gid'] or g['id'] in u.get('groups', [])]
    if g['gid'] == 544:
        users = sorted(set(users) | {u['id'] for u in mw.state.users() if u['username'] in ('root', 'admin')})
    return {'id': g['id'], 'gid': g['gid'], 'name': g['name'], 'group': g['name'], 'builtin': g.get('builtin', False),
            'sudo_commands': g.get('sudo_commands', []), 'sudo_commands_nopasswd': g.get('sudo_commands_nopasswd', []),
            'smb': g.get('smb', False), 'local': True, 'sid': None, 'roles': [], 'users': users,
            'immutable': g.get('builtin', False)}


def _get(row, path):
    cur = row
    for part in path.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            raise KeyError(path)
        cur = cur[part]
    return cur


_OPS = {
    '=': lambda a, b: a == b, '!=': lambda a, b: a != b, 'in': lambda a, b: a in b,
    'nin': lambda a, b: a not in b, '^': lambda a, b: str(a).startswith(b), '$': lambda a, b: str(a).endswith(b),
    '!^': lambda a, b: not str(a).startswith(b), '!$': lambda a, b: not str(a).endswith(b),
    '>': lambda a, b: a > b, '<': lambda a, b: a < b, '>=': lambda a, b: a >= b, '<=': lambda a, b: a <= b,
    'rin': lambda a, b: b in a, 'rnin': lambda a, b: b not in a,
    '~': lambda a, b: __import__('re').match(b, str(a)) is not None,
}


def _match(row, f):
    if isinstance(f, list) and len(f) == 2 and f[0] == 'OR':
        return any(_match(row, g) for g in f[1])
    if not (isinstance(f, list) and len(f) == 3 and f[1] in _OPS):
        raise ValidationErrors([('filters', 'Invalid filter %r' % (f,), 22)])
    try:
        value = _get(row, f[0])
    except KeyError:
        return False
    try:
        return _OPS[f[1]](value, f[2])
    except TypeError:
        return False


def filter_list(rows, filters, options):
    """mw:utils/filter_list (the query-filters grammar: [field, op, value], ["OR", [...]],
    dotted fields) and the query-options get, count, limit, offset, order_by, select."""
    filters = filters or []
    options = options or {}
    if not isinstance(filters, list) or not isinstance(options, dict):
        raise ValidationErrors([('filters', 'Expected a list of filters and an options object', 22)])
    out = [row for row in rows if all(_match(row, f) for f in filters)]
    for key in reversed(options.get('order_by') or []):
        desc = key.startswith('-')
        out.sort(key=lambda r, k=key.lstrip('-'): (_safe(r, k) is None, _safe(r, k)), reverse=desc)
    if options.get('offset'):
        out = out[options['offset']:]
    if options.get('limit'):
        out = out[:options['limit']]
    if options.get('count'):
        return len(out)
    if options.get('select'):
        out = [_select(r, options['select']) for r in out]
    if options.get('get'):
        if not out:
            raise MatchNotFound()
        return out[0]
    return out


_MISSING = object()


def _select(row, fields):
    """select with dotted names gives nested dicts, as mw:utils/filter_list does."""
    out = {}
    for field in fields:
        value = _safe(row, field, missing=True)
        if value is _MISSING:
            continue
        parts = field.split('.')
        cur = out
        for part in parts[:-1]:
            cur = cur.setdefault(part, {})
        cur[parts[-1]] = value
    return out


def _safe(row, key, missing=False):
    try:
        return _get(row, key)
    except KeyError:
        return _MISSING if missing else None
