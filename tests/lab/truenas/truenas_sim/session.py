# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One client connection: where it comes from, who it is logged in as, its options and its
subscriptions (stable/goldeye mw:api/base/server/app.py:10-21, mw:utils/origin.py)."""
import ipaddress
import pwd
import threading
import time
import uuid


class Origin:
    """mw:utils/origin.py: a unix peer (uid from SO_PEERCRED) or a TCP peer."""

    def __init__(self, family='tcp', uid=None, pid=None, address=None, tls=False):
        self.family, self.uid, self.pid, self.address, self.tls = family, uid, pid, address, tls

    @property
    def is_unix(self):
        return self.family == 'unix'

    @property
    def secure_transport(self):
        """stable/goldeye mw:utils/origin.py:135-151: AF_UNIX, TLS or a loopback peer."""
        if self.tls or self.is_unix:
            return True
        try:
            return ipaddress.ip_address(self.address or '').is_loopback
        except ValueError:
            return False

    def repr(self):
        if self.is_unix:
            return 'UNIX socket (pid=%s uid=%s)' % (self.pid, self.uid)
        return self.address or ''


class Credentials:
    """What a session logged in with (the SessionManagerCredentials classes of mw:auth.py).
    ``kind`` is class_name() of those classes (stable/goldeye mw:auth.py:26-31): LOGIN_PASSWORD,
    LOGIN_TWOFACTOR, LOGIN_ONETIME_PASSWORD, API_KEY, UNIX_SOCKET."""

    def __init__(self, kind, username, roles=('FULL_ADMIN',), key=None):
        self.kind, self.username, self.roles, self.key = kind, username, tuple(roles), key
        self.login_id = str(uuid.uuid4())
        self.login_at = {'$date': int(time.time() * 1000)}

    def dump(self):
        """mw:auth.py:129-135 and :152-158."""
        out = {'username': self.username, 'login_id': self.login_id, 'login_at': self.login_at}
        if self.key:
            out['api_key'] = {'id': self.key['id'], 'name': self.key['name']}
        return out

    @property
    def is_user_session(self):
        return self.kind != 'API_KEY' or bool(self.username)

    @property
    def full_admin(self):
        return 'FULL_ADMIN' in self.roles

    def has_role(self, role):
        return self.full_admin or role in self.roles or role.replace('_READ', '_WRITE') in self.roles


class Session:
    """An App: authentication state, the options core.set_options sets, the in-progress
    login_ex conversation, subscriptions, and a thread-safe way to push messages to the client."""

    def __init__(self, origin=None, local_uid=None):
        if origin is None:
            origin = Origin('unix', uid=local_uid) if local_uid is not None else Origin()
        self.origin = origin
        self.session_id = str(uuid.uuid4())
        self.credentials = None
        self.legacy_jobs = True            # mw:api/base/server/app.py:17-19 defaults
        self.private_methods = False
        self.py_exceptions = False
        self.pending = None                # the login_ex conversation waiting for OTP_TOKEN
        self.subscriptions = {}            # ident -> event name
        self.push = None                   # set by the wire: push(event_name, type, **fields)
        self.lock = threading.Lock()
        if origin.is_unix and origin.uid is not None:
            # mw:plugins/auth.py check_permission (stable/goldeye :1297-1333): a local uid 0 is root
            # with full privilege, no password and no OTP; another local uid is that user.
            try:
                name = pwd.getpwuid(origin.uid).pw_name
            except KeyError:
                name = None
            if name:
                self.credentials = Credentials('UNIX_SOCKET', name,
                                               roles=('FULL_ADMIN',) if origin.uid == 0 else ())

    # the names the method modules use
    @property
    def authenticated(self):
        return self.credentials is not None

    @property
    def username(self):
        return self.credentials.username if self.credentials else None

    @property
    def via(self):
        return {'UNIX_SOCKET': 'unix', 'API_KEY': 'api_key', 'LOGIN_TWOFACTOR': 'twofactor',
                'LOGIN_ONETIME_PASSWORD': 'otpw'}.get(self.credentials.kind, 'password') if self.credentials else None

    @property
    def private_allowed(self):
        """midclt as root: the local socket with no login session (stable/goldeye
        mw:api/base/server/ws_handler/rpc.py:334-352)."""
        return self.origin.is_unix and self.origin.uid == 0

    def login(self, username, via, roles=('FULL_ADMIN',), key=None):
        kind = {'password': 'LOGIN_PASSWORD', 'twofactor': 'LOGIN_TWOFACTOR', 'otpw': 'LOGIN_ONETIME_PASSWORD',
                'api_key': 'API_KEY', 'unix': 'UNIX_SOCKET', 'token': 'TOKEN'}[via]
        self.credentials = Credentials(kind, username, roles, key)
        self.pending = None

    def logout(self):
        self.credentials = None
        self.pending = None
        self.subscriptions.clear()
