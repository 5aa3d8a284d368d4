# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's database: a small sqlite file on the host. Config areas are JSON documents;
users, groups, privileges and API keys are rows. The middleware's tables
(system_twofactorauthentication, account_bsdusers, account_bsdgroups, account_privilege,
account_twofactor_user_auth) are modelled, not copied."""
import json
import os
import sqlite3
import time

DB_PATH = '/var/db/truenas-sim/state.db'


def _defaults(profile):
    tf = {'id': 1, 'enabled': False, 'window': 0, 'services': {'ssh': False}}  # mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py defaults
    if profile.global_digits:
        tf.update(otp_digits=6, interval=30)                                  # mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py
    if profile.global_secret:
        tf['secret'] = None                                                   # truenas/13.0-stable, stable/bluefin mw:plugins/auth.py
    # ssh.config fields by era (mw:plugins/ssh.py, mw:plugins/service.py); default values are [sim] (password auth off so that a
    # fresh box is key-only, as the lab needs).
    ssh = {'id': 1, 'bindiface': [], 'tcpport': 22, 'passwordauth': False, 'kerberosauth': False,
           'tcpfwd': False, 'compression': False, 'sftp_log_level': '', 'sftp_log_facility': '',
           'weak_ciphers': [], 'options': ''}
    if profile.ssh_rootlogin:
        ssh['rootlogin'] = False
    if profile.ssh_adminlogin:
        ssh['adminlogin'] = False
    if profile.ssh_password_enabled:
        ssh['password_login_groups'] = []
    return {'twofactor': tf, 'ssh': ssh,
            # [sim] the real default is not in the source; the lab's sshd runs from boot.
            'services': {'ssh': {'id': 1, 'service': 'ssh', 'enable': True}},
            'system_general': _general_defaults(profile), 'system_security': _security_defaults(profile)}


def _general_defaults(profile):
    """The system_settings row as the model's defaults make it (truenas/13.0-stable
    mw:plugins/system.py:888-906; stable/bluefin mw:plugins/system_general/update.py:16-38 ..
    stable/26 :20-39), stored with the API's names (ui_* for stg_gui*) and ui_certificate as the id
    of the box's one certificate (methods_settings.py)."""
    g = {'id': 1, 'ui_address': ['0.0.0.0'], 'ui_v6address': ['::'], 'ui_port': 80, 'ui_httpsport': 443,
         'ui_httpsredirect': False, 'ui_httpsprotocols': ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'],
         # [sim] CORE's kbdmap column has no default (:898, not nullable): an empty string
         'kbdmap': 'us' if profile.scale else '', 'timezone': 'America/Los_Angeles', 'wizardshown': False,
         'ui_certificate': 1, 'usage_collection': None}
    if profile.general_scale_ui:
        g.update(ui_allowlist=[], ui_x_frame_options='SAMEORIGIN', ui_consolemsg=True, ds_auth=False)
    if profile.general_language:
        g['language'] = 'en'
    if profile.general_crash_reporting:
        g['crash_reporting'] = None
    if profile.general_birthday:
        # nullable, set once by system.birthday on a real box; [sim] the moment the state was made
        g['birthday'] = {'$date': int(time.time() * 1000)}
    return g


def _security_defaults(profile):
    """system_security (stable/cobia mw:plugins/security/update.py:9-13; the STIG and password
    columns from stable/fangtooth :22-32, default False / null)."""
    if not profile.security:
        return None
    sec = {'id': 1, 'enable_fips': False}
    if profile.security_stig:
        sec.update(enable_gpos_stig=False, min_password_age=None, max_password_age=None,
                   password_complexity_ruleset=None, min_password_length=None, password_history_length=None)
    return sec


class State:
    def __init__(self, root, profile):
        self.root = root
        self.profile = profile
        path = root.rstrip('/') + DB_PATH
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.executescript(
            'CREATE TABLE IF NOT EXISTS config (name TEXT PRIMARY KEY, data TEXT NOT NULL);'
            'CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT UNIQUE, data TEXT NOT NULL);'
            'CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);'
            'CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL,'
            ' PRIMARY KEY (kind, id));')
        stored = self.get_config('meta')
        if stored is None:
            for name, value in _defaults(profile).items():
                if value is not None:
                    self.set_config(name, value)
            self.set_config('meta', {'version': profile.version})
        elif stored.get('version') != profile.version:
            # One box, one version: a database made by another profile would mix eras [sim].
            raise RuntimeError('state %s was made for TrueNAS %s, not %s'
                               % (path, stored.get('version'), profile.version))
        else:
            # a database made before the simulator knew an area gets the area's defaults [sim]
            for name, value in _defaults(profile).items():
                if value is not None and self.get_config(name) is None:
                    self.set_config(name, value)

    # config documents
    def get_config(self, name):
        row = self.db.execute('SELECT data FROM config WHERE name = ?', (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_config(self, name, value):
        self.db.execute('INSERT OR REPLACE INTO config (name, data) VALUES (?, ?)', (name, json.dumps(value)))

    # users: local accounts the middleware knows, with their 2FA row (mw:plugins/account_/2fa.py table columns)
    def add_user(self, username, uid, home, builtin=True, **fields):
        """A local user and its account_twofactor_user_auth row (secret null, 6 digits, 30 s),
        inserted with the user (stable/goldeye mw:plugins/account.py:700-712)."""
        if self.get_user(username):
            return self.get_user(username)['id']
        data = {'uid': uid, 'home': home, 'builtin': builtin, 'full_name': username,
                'ssh_password_enabled': False, 'secret': None, 'otp_digits': 6, 'interval': 30,
                'twofactor_row': self.next_id('twofactor_rows')}
        data.update(fields)
        cur = self.db.execute('INSERT INTO users (username, data) VALUES (?, ?)', (username, json.dumps(data)))
        return cur.lastrowid

    def delete_user(self, uid):
        return self.db.execute('DELETE FROM users WHERE id = ?', (uid,)).rowcount

    # generic rows: groups, privileges
    def next_id(self, kind):
        meta = self.get_config('seq:' + kind) or {'next': 1}
        self.set_config('seq:' + kind, {'next': meta['next'] + 1})
        return meta['next']

    def insert(self, kind, data, row_id=None):
        row_id = row_id or self.next_id(kind)
        self.db.execute('INSERT INTO records (kind, id, data) VALUES (?, ?, ?)', (kind, row_id, json.dumps(data)))
        return row_id

    def rows(self, kind):
        return [dict(json.loads(d), id=i) for i, d in
                self.db.execute('SELECT id, data FROM records WHERE kind = ? ORDER BY id', (kind,))]

    def row(self, kind, row_id):
        r = self.db.execute('SELECT data FROM records WHERE kind = ? AND id = ?', (kind, row_id)).fetchone()
        return dict(json.loads(r[0]), id=row_id) if r else None

    def update(self, kind, row_id, data):
        data = {k: v for k, v in data.items() if k != 'id'}
        self.db.execute('UPDATE records SET data = ? WHERE kind = ? AND id = ?', (json.dumps(data), kind, row_id))

    def delete(self, kind, row_id):
        return self.db.execute('DELETE FROM records WHERE kind = ? AND id = ?', (kind, row_id)).rowcount

    def _row(self, row):
        if not row:
            return None
        data = json.loads(row[2])
        data.update(id=row[0], username=row[1])
        return data

    def get_user(self, username):
        return self._row(self.db.execute('SELECT id, username, data FROM users WHERE username = ?',
                                         (username,)).fetchone())

    def get_user_by_id(self, uid):
        return self._row(self.db.execute('SELECT id, username, data FROM users WHERE id = ?', (uid,)).fetchone())

    def users(self):
        return [self._row(r) for r in self.db.execute('SELECT id, username, data FROM users ORDER BY id')]

    def save_user(self, user):
        data = {k: v for k, v in user.items() if k not in ('id', 'username')}
        self.db.execute('UPDATE users SET data = ? WHERE id = ?', (json.dumps(data), user['id']))

    # api keys (mw:plugins/api_key.py)
    def add_api_key(self, data):
        cur = self.db.execute('INSERT INTO api_keys (data) VALUES (?)', (json.dumps(data),))
        return cur.lastrowid

    def api_keys(self):
        out = []
        for kid, data in self.db.execute('SELECT id, data FROM api_keys ORDER BY id'):
            d = json.loads(data)
            d['id'] = kid
            out.append(d)
        return out

    def delete_api_key(self, kid):
        return self.db.execute('DELETE FROM api_keys WHERE id = ?', (kid,)).rowcount

    def save_api_key(self, key):
        data = {k: v for k, v in key.items() if k != 'id'}
        self.db.execute('UPDATE api_keys SET data = ? WHERE id = ?', (json.dumps(data), key['id']))
