# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Users, groups and privileges as the middleware composes them for a login.

A user may use the API when one of its groups is in a privilege's ``local_groups``; the roles
are the union of those privileges' roles (stable/cobia mw:plugins/auth_/authenticate.py:58-75,
stable/goldeye mw:plugins/account_/privilege.py). SCALE ships the privilege "Local Administrator"
(builtin_name LOCAL_ADMINISTRATOR, roles FULL_ADMIN) on the group builtin_administrators (gid
544), whose members are root and admin (mw:plugins/account_/constants.py, builtin_administrator.py).
CORE 13 has no privileges: root is the only API user (truenas/13.0-stable mw:plugins/auth.py).
"""
BUILTIN_GROUPS = (  # name, gid (the builtin groups the simulator's accounts need)
    ('root', 0), ('builtin_administrators', 544), ('builtin_users', 545), ('admin', 950),
)
LOCAL_ADMINISTRATOR = {'builtin_name': 'LOCAL_ADMINISTRATOR', 'name': 'Local Administrator', 'local_groups': [544],
                       'ds_groups': [], 'roles': ['FULL_ADMIN'], 'web_shell': True}


def bootstrap(mw):
    """First start: the builtin groups, the Local Administrator privilege, root and admin in it."""
    st = mw.state
    if st.rows('group'):
        return
    for name, gid in BUILTIN_GROUPS:
        if name == 'admin' and not mw.profile.scale:
            continue
        st.insert('group', {'gid': gid, 'name': name, 'builtin': name != 'admin', 'sudo_commands': [],
                            'sudo_commands_nopasswd': [], 'smb': name == 'builtin_users'})
    if mw.profile.scale:
        st.insert('privilege', dict(LOCAL_ADMINISTRATOR))


def group_by_gid(mw, gid):
    return next((g for g in mw.state.rows('group') if g['gid'] == gid), None)


def user_gids(mw, user):
    """The user's primary gid and the gids of its auxiliary groups (the row stores group ids)."""
    gids = [user.get('gid', user['uid'])]
    for gid_id in user.get('groups', []):
        g = mw.state.row('group', gid_id)
        if g:
            gids.append(g['gid'])
    if user['username'] in ('root', 'admin'):
        gids.append(544)
    return sorted(set(gids))


def authenticate_user(mw, username):
    """The roles a login as ``username`` gets, or None when no privilege covers it (the login is
    then refused)."""
    user = mw.state.get_user(username) if isinstance(username, str) else None
    if user is None:
        return None
    if not mw.profile.scale:
        return ('FULL_ADMIN',) if username == 'root' else None
    gids = set(user_gids(mw, user))
    roles = set()
    found = False
    for priv in mw.state.rows('privilege'):
        if gids & set(priv.get('local_groups', [])):
            found = True
            roles.update(priv.get('roles', []))
    if not found:
        return None
    return tuple(sorted(roles))


def user_obj(mw, username):
    """user.get_user_obj (stable/goldeye mw:api/v25_10_2/user.py:194-216)."""
    user = mw.state.get_user(username)
    gid = user.get('gid', user['uid'])
    return {'pw_name': username, 'pw_gecos': user['full_name'], 'pw_dir': user['home'],
            'pw_shell': user.get('shell') or ('/usr/bin/zsh' if mw.profile.scale else '/bin/csh'),
            'pw_uid': user['uid'], 'pw_gid': gid, 'grouplist': user_gids(mw, user), 'sid': None,
            'source': 'LOCAL', 'local': True}
