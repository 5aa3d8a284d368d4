# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""user.create/delete, group.*, privilege.*: what admins' tooling and test harnesses set 2FA users
up with (stable/goldeye mw:plugins/account.py:612-760 do_create, :1018-1090 do_delete,
:2040-2215 groups; mw:plugins/account_/privilege.py).

A user made here is a real account of the lab host too (passwd, shadow, group), so it logs in by
password over SSH and over the API, and gets a 2FA secret like any other. [sim] SMB, sudo,
directory services and home-directory ACLs are not modelled.
"""
import errno
import os

from . import accounts
from .accounts_model import authenticate_user, group_by_gid
from .errors import CallError, ValidationErrors, instance_not_found, is_of_type
from .registry import method, since
from .users_view import filter_list, group_entry, user_entry

DEFAULT_HOME_PATH = '/var/empty'
_CREATE_FIELDS = {'uid', 'username', 'home', 'shell', 'full_name', 'smb', 'group', 'groups', 'password_disabled',
                  'ssh_password_enabled', 'sshpubkey', 'locked', 'sudo_commands', 'sudo_commands_nopasswd', 'email',
                  'group_create', 'home_create', 'home_mode', 'password', 'random_password', 'userns_idmap'}


def _next_uid(mw):
    used = {u['uid'] for u in mw.state.users()}
    uid = 3000
    while uid in used:
        uid += 1
    return uid


def _validate_user(mw, data, schema, old=None):
    verrors = ValidationErrors()
    extra = set(data) - _CREATE_FIELDS - ({'group_create'} if old is None else set())
    for k in sorted(extra):
        verrors.add('%s.%s' % (schema, k), 'Extra inputs are not permitted')
    verrors.check()
    if old is None:
        for k in ('username', 'full_name'):
            if not is_of_type(data.get(k), str) or not data[k]:
                verrors.add('%s.%s' % (schema, k), 'Field required')
        verrors.check()
        if mw.state.get_user(data['username']):
            verrors.add('%s.username' % schema, 'The username "%s" already exists.' % data['username'])
        if not data.get('password') and not data.get('password_disabled') and not data.get('random_password'):
            verrors.add('%s.password' % schema, 'Password is required')
    if data.get('ssh_password_enabled'):
        # NAS-132659 (PR 15235): stable/electriceel mw:plugins/account.py:1440-1459, stable/goldeye :1683-1704
        tf = mw.state.get_config('twofactor')
        if mw.profile.ssh_pw_needs_secret and tf['enabled'] and tf['services'].get('ssh'):
            msg = '2FA for this user needs to be explicitly configured before password based SSH access is enabled.'
            if old is None:
                verrors.add('%s.ssh_password_enabled' % schema, msg + ' User will be created with SSH password '
                            'access disabled and after 2FA has been configured for this user, SSH password '
                            'access can be enabled.')
            elif not old.get('secret'):
                verrors.add('%s.ssh_password_enabled' % schema, msg)
        home = data.get('home', old['home'] if old else DEFAULT_HOME_PATH)
        if mw.profile.rank >= 5 and home == DEFAULT_HOME_PATH:
            verrors.add('%s.ssh_password_enabled' % schema, 'Cannot be enabled without a valid home path and login shell.')
    verrors.check()


@method('user.create', roles=('ACCOUNT_WRITE',))
def create(mw, sess, user_create):
    data = dict(user_create) if isinstance(user_create, dict) else None
    if data is None:
        raise ValidationErrors([('user_create', 'Input should be a valid dictionary', 22)])
    _validate_user(mw, data, 'user_create')
    if (not data.get('group') and not data.get('group_create')) or (data.get('group') and data.get('group_create')):
        raise ValidationErrors([('user_create.group', 'Enter either a group name or create a new group to continue.', 22)])
    uid = data.get('uid') or _next_uid(mw)
    if data.get('group_create'):
        group = next((g for g in mw.state.rows('group') if g['name'] == data['username']), None)
        gid_row = group['id'] if group else _create_group(mw, {'name': data['username'], 'gid': uid})
    else:
        gid_row = data['group']
        if mw.state.row('group', gid_row) is None:
            raise ValidationErrors([('user_create.group', 'Group %s not found' % gid_row, errno.ENOENT)])
    group = mw.state.row('group', gid_row)
    home = data.get('home') or DEFAULT_HOME_PATH
    if home != DEFAULT_HOME_PATH:
        if not os.path.isdir(mw.path(os.path.dirname(home.rstrip('/')))) and data.get('home_create', False):
            raise ValidationErrors([('user_create.home', '%s: path does not exist' % home, errno.ENOENT)])
        if data.get('home_create', False):
            os.makedirs(mw.path(home), mode=int(data.get('home_mode', '700'), 8), exist_ok=True)
            accounts.chown(mw.path(home), uid, group['gid'])
    password = data.get('password')
    fields = {k: data[k] for k in ('email', 'sshpubkey', 'locked', 'password_disabled', 'ssh_password_enabled',
                                   'smb', 'sudo_commands', 'sudo_commands_nopasswd') if k in data}
    fields.update(gid=group['gid'], group_id=gid_row, groups=list(data.get('groups', [])),
                  shell=data.get('shell', '/usr/bin/zsh' if mw.profile.scale else '/bin/csh'))
    pk = mw.state.add_user(data['username'], uid, home, builtin=False, full_name=data['full_name'], **fields)
    accounts.add_unix_user(mw.root or '/', data['username'], uid, group['gid'], data['full_name'], home,
                           None if data.get('password_disabled') else password)
    mw.render_user()
    mw.reload_ssh()
    user = mw.state.get_user_by_id(pk)
    if mw.profile.user_create_returns_entry:
        return dict(user_entry(mw, user), password=None)   # UserCreateUpdateResult: password (random_password)
    return pk


@method('user.delete', roles=('ACCOUNT_WRITE',))
def delete(mw, sess, id_, options=None):
    """:1018-1090: built-in users stay ("Cannot delete a built-in user", EINVAL); the primary group
    goes with delete_group (default true, mw:api/v25_10_2/user.py:247-249, stable/electriceel
    mw:plugins/account.py:855) when no other user has it."""
    user = mw.state.get_user_by_id(id_) if is_of_type(id_, int) else None
    if user is None:
        raise instance_not_found('User', id_)
    if user['builtin']:
        raise CallError('Cannot delete a built-in user', errno.EINVAL)
    if sess.username == user['username']:
        raise CallError('Cannot delete the currently active user', errno.EINVAL)
    options = options or {}
    delete_group = options.get('delete_group', True)
    mw.state.delete_user(id_)
    accounts.remove_unix_user(mw.root or '/', user['username'])
    if delete_group and user.get('group_id'):
        g = mw.state.row('group', user['group_id'])
        if g and not g.get('builtin') and not any(u.get('group_id') == g['id'] or g['id'] in u.get('groups', [])
                                                  for u in mw.state.users()):
            mw.state.delete('group', g['id'])
            accounts.remove_unix_group(mw.root or '/', g['name'])
    for k in mw.state.api_keys():
        if k.get('username') == user['username']:
            mw.state.delete_api_key(k['id'])
    mw.render_user()
    mw.reload_ssh()
    return id_


def _row(mw, kind, id_, verbose_name):
    """The row ``id_`` of ``kind``, or InstanceNotFound as get_instance raises it."""
    row = mw.state.row(kind, id_) if is_of_type(id_, int) else None
    if row is None:
        raise instance_not_found(verbose_name, id_)
    return row


# groups ---------------------------------------------------------------------------------------
def _create_group(mw, data):
    gid = data.get('gid') or max([g['gid'] for g in mw.state.rows('group')] + [2999]) + 1
    row = mw.state.insert('group', {'gid': gid, 'name': data['name'], 'builtin': False, 'smb': data.get('smb', False),
                                    'sudo_commands': data.get('sudo_commands', []),
                                    'sudo_commands_nopasswd': data.get('sudo_commands_nopasswd', [])})
    accounts.add_unix_group(mw.root or '/', data['name'], gid)
    return row


@method('group.query', roles=('ACCOUNT_READ',))
def group_query(mw, sess, filters=None, options=None):
    return filter_list([group_entry(mw, g) for g in mw.state.rows('group')], filters, options)


@method('group.get_instance', roles=('ACCOUNT_READ',))
def group_get_instance(mw, sess, id_, options=None):
    g = _row(mw, 'group', id_, 'Group')
    return group_entry(mw, g)


@method('group.create', roles=('ACCOUNT_WRITE',))
def group_create(mw, sess, group_create):
    """:2040-2105: the id back."""
    data = group_create if isinstance(group_create, dict) else {}
    if not is_of_type(data.get('name'), str) or not data['name']:
        raise ValidationErrors([('group_create.name', 'Field required', 22)])
    if any(g['name'] == data['name'] for g in mw.state.rows('group')):
        raise ValidationErrors([('group_create.name', 'A Group with the name "%s" already exists.' % data['name'], 17)])
    if data.get('gid') is not None and group_by_gid(mw, data['gid']):
        raise ValidationErrors([('group_create.gid', 'A Group with the gid "%s" already exists.' % data['gid'], 17)])
    return _create_group(mw, data)


@method('group.delete', roles=('ACCOUNT_WRITE',))
def group_delete(mw, sess, id_, options=None):
    """:2170-2215: built-in groups stay (EACCES)."""
    g = _row(mw, 'group', id_, 'Group')
    if g.get('builtin'):
        raise CallError('A built-in group cannot be deleted.', errno.EACCES)
    mw.state.delete('group', id_)
    accounts.remove_unix_group(mw.root or '/', g['name'])
    for priv in mw.state.rows('privilege'):
        if g['gid'] in priv.get('local_groups', []):
            priv['local_groups'] = [x for x in priv['local_groups'] if x != g['gid']]
            mw.state.update('privilege', priv['id'], priv)
    return id_


# privileges (SCALE 22.12+) --------------------------------------------------------------------
def privilege_entry(mw, priv):
    groups = [group_by_gid(mw, gid) for gid in priv.get('local_groups', [])]
    return {'id': priv['id'], 'builtin_name': priv.get('builtin_name'), 'name': priv['name'],
            'local_groups': [group_entry(mw, g) for g in groups if g], 'ds_groups': priv.get('ds_groups', []),
            'roles': priv.get('roles', []), 'web_shell': priv.get('web_shell', False)}


def _validate_privilege(mw, data, schema, old=None):
    verrors = ValidationErrors()
    for k in sorted(set(data) - {'name', 'local_groups', 'ds_groups', 'roles', 'web_shell'}):
        verrors.add('%s.%s' % (schema, k), 'Extra inputs are not permitted')
    if old is None and not is_of_type(data.get('name'), str):
        verrors.add('%s.name' % schema, 'Field required')
    for i, gid in enumerate(data.get('local_groups', [])):
        if not group_by_gid(mw, gid):
            verrors.add('%s.local_groups.%d' % (schema, i), 'This local group does not exist')
    known = {'FULL_ADMIN', 'READONLY_ADMIN', 'SHARING_ADMIN', 'ACCOUNT_READ', 'ACCOUNT_WRITE', 'SYSTEM_AUDIT_READ',
             'SYSTEM_SECURITY_READ', 'SYSTEM_SECURITY_WRITE', 'API_KEY_READ', 'API_KEY_WRITE', 'AUTH_SESSIONS_READ',
             'AUTH_SESSIONS_WRITE', 'SYSTEM_GENERAL_READ', 'SYSTEM_GENERAL_WRITE'}
    for i, role in enumerate(data.get('roles', [])):
        if role not in known:
            verrors.add('%s.roles.%d' % (schema, i), 'Invalid role')
    if old and old.get('builtin_name'):
        for k in ('name', 'roles'):
            if k in data and data[k] != old.get(k):
                verrors.add('%s.%s' % (schema, k), 'This field is read-only for built-in privileges')
    verrors.check()


@method('privilege.query', present=since('scale'))
def privilege_query(mw, sess, filters=None, options=None):
    return filter_list([privilege_entry(mw, p) for p in mw.state.rows('privilege')], filters, options)


@method('privilege.create', present=since('scale'))
def privilege_create(mw, sess, privilege_create):
    data = privilege_create if isinstance(privilege_create, dict) else {}
    _validate_privilege(mw, data, 'privilege_create')
    row = mw.state.insert('privilege', {'builtin_name': None, 'name': data['name'],
                                        'local_groups': data.get('local_groups', []),
                                        'ds_groups': data.get('ds_groups', []), 'roles': data.get('roles', []),
                                        'web_shell': data.get('web_shell', False)})
    return privilege_entry(mw, mw.state.row('privilege', row))


@method('privilege.update', present=since('scale'))
def privilege_update(mw, sess, id_, privilege_update):
    old = _row(mw, 'privilege', id_, 'Privilege')
    data = privilege_update if isinstance(privilege_update, dict) else {}
    _validate_privilege(mw, data, 'privilege_update', old)
    if old.get('builtin_name') == 'LOCAL_ADMINISTRATOR' and 544 not in data.get('local_groups', [544]):
        raise ValidationErrors([('privilege_update.local_groups',
                                 'The group builtin_administrators must be among grantees of the "Local '
                                 'Administrator" privilege.', 22)])
    old.update(data)
    mw.state.update('privilege', id_, old)
    return privilege_entry(mw, mw.state.row('privilege', id_))


@method('privilege.delete', present=since('scale'))
def privilege_delete(mw, sess, id_):
    old = _row(mw, 'privilege', id_, 'Privilege')
    if old.get('builtin_name'):
        raise CallError('Unable to delete built-in privilege', errno.EPERM)
    mw.state.delete('privilege', id_)
    return True


__all__ = ['authenticate_user']
