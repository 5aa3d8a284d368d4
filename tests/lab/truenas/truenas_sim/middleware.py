# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dispatcher: method lookup with the version's presence rules, authentication and
authorization, argument binding, jobs, and the etc/service side effects every namespace shares.

The order of the checks is the middleware's (stable/goldeye mw:api/base/server/ws_handler/rpc.py:
307-403, mw:main.py:875-926): the name is looked up, then the session must be authenticated
(unless the method needs no authentication) and authorized, then the arguments are validated,
then the method runs.
"""
import fcntl
import inspect
import os
import random
import socket
import struct
import subprocess
import threading
import time

import pyotp

from . import accounts, accounts_model, render
from .errors import CallError, MethodNotFound, NotAuthenticated, NotAuthorized, RateLimited, ValidationErrors
from .jobs import JobStore
from .registry import METHODS
from .state import State

# A method name a fault test wrote here: the box loses its network right after running it.
LOSE_NETWORK_AFTER = '/run/truenas-sim/lose-network-after'


def _default_runner(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


class Middleware:
    def __init__(self, root, profile, runner=None):
        self.root = root.rstrip('/') or ''
        self.profile = profile
        self.state = State(root, profile)
        self.run = runner or _default_runner
        self.sessions = set()          # live connections, for events (mw:main.py register_wsclient)
        self.jobs = JobStore(profile, self.sessions)
        self.lock = threading.RLock()
        self.rate_cache = {}
        self.aal = 'LEVEL_1'           # auth.set_authenticator_assurance_level (25.04+)
        self.tokens = {}               # auth.generate_token
        self.onetime_passwords = {}    # auth.generate_onetime_password (25.04+)
        self.audit = []                # audit.query (25.04+)
        self.mocks = {}                # test.set_mock
        self.mock_role = False         # test.add_mock_role
        self.log = []

    # paths and host facts
    def path(self, p):
        return self.root + p

    def hostname(self):
        try:
            with open(self.path('/etc/hostname')) as f:
                return f.read().strip() or socket.gethostname()
        except FileNotFoundError:
            return socket.gethostname()

    # dispatch
    def lookup(self, name):
        """The method of this version, or MethodNotFound worded as mw:utils/service/call.py:18-34."""
        m = METHODS.get(name) if isinstance(name, str) else None
        if m is None or not m.present(self.profile):
            name = name if isinstance(name, str) else repr(name)
            service = name.rsplit('.', 1)[0]
            known = any(k.rsplit('.', 1)[0] == service and v.present(self.profile) for k, v in METHODS.items())
            raise MethodNotFound(name, service_exists=known)
        return m

    def authorize(self, sess, m):
        """stable/goldeye mw:main.py:875-926: methods that need no authentication are rate limited
        for unauthenticated TCP peers; the others refuse an unauthenticated session
        (ENOTAUTHENTICATED), then the credential's roles decide (EACCES)."""
        if m.no_auth:
            if not sess.authenticated and m.rate_limit and self.profile.rate_limit:
                self.rate_limit(sess, m.name)
            return
        if not sess.authenticated:
            raise NotAuthenticated()
        if m.no_authz or sess.credentials.full_admin:
            return
        if any(sess.credentials.has_role(r) for r in m.roles_for(self.profile)):
            return
        raise NotAuthorized()

    def rate_limit(self, sess, name):
        """stable/goldeye mw:utils/rate_limit/cache.py:12-105: 20 calls a method and address in 60
        s, then a sleep of 1-10 s and EBUSY; at most 100 entries, then everyone is refused. Unix
        peers are never counted. rate.limit.cache_clear empties it."""
        if sess.origin.is_unix or not sess.origin.address:
            return
        key = '%s_##_%s' % (name, sess.origin.address)
        now = time.monotonic()
        with self.lock:
            entry = self.rate_cache.setdefault(key, {'num_times_called': 0, 'last_reset': now})
            if 60 - (now - entry['last_reset']) <= 0:
                entry.update(num_times_called=0, last_reset=now)
            entry['num_times_called'] += 1
            exceeded = entry['num_times_called'] > 20 or len(self.rate_cache) == 100
        if exceeded:
            time.sleep(round(random.uniform(1.0, 10.0), 2))
            raise RateLimited()

    def fail_delay(self, sess, low=1.0, high=2.0):
        """The sleep after a refused login (CURRENT_AAL.get_delay_interval(), stable/goldeye
        mw:utils/auth.py:47-51: min_fail_delay to +1 s; LEVEL_2 and 3 start at 4 s). Taken after the
        call left the lock, so other sessions go on (wire.Wire._timed)."""
        sess.fail_delay = random.uniform(low, high)

    def bind(self, m, sess, params):
        """Arguments against the handler's signature, refused as the API models refuse them
        (stable/goldeye mw:api/base/handler/accept.py:34-55: "Too many arguments", "Field required")."""
        if not isinstance(params, list):
            raise ValidationErrors([('', 'params must be a list', 22)])
        sig = inspect.signature(m.func)
        names = [p for p in list(sig.parameters.values())[2:] if p.kind == p.POSITIONAL_OR_KEYWORD]
        varargs = any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())
        if not varargs and len(params) > len(names):
            raise ValidationErrors([('', 'Too many arguments (expected %d, found %d)' % (len(names), len(params)), 22)])
        missing = [p.name for p in names[len(params):] if p.default is p.empty]
        if missing:
            raise ValidationErrors([(n, 'Field required', 22) for n in missing])

    def call(self, sess, name, params=None, message_id=None, check_auth=True):
        """Run ``name`` for ``sess``; the result as the wire sends it (a job id for a job unless
        the session asked for new-style jobs, stable/goldeye mw:api/base/server/method.py:59-63)."""
        result = self._run(sess, name, params, message_id, check_auth)
        self.lose_network_if_asked(name)
        return result

    def lose_network_if_asked(self, name):
        """Lab only (the middleware has no such thing): when LOSE_NETWORK_AFTER names this method,
        the box is cut off right after the method ran, before its answer leaves: the call took
        effect and the client never hears so, a box lost in the middle of a call. The box has no
        right to take its own link down, so it removes the file (the signal to the fault test
        watching it, tests/lab/fleetlib/faults.py lose_network_after, which cuts the cable from
        outside) and holds the answer until its link has no carrier (10 s at most)."""
        path = self.path(LOSE_NETWORK_AFTER)
        try:
            with open(path) as f:
                wanted = f.read().split()
        except FileNotFoundError:
            return
        if name not in wanted:
            return
        os.unlink(path)
        deadline = time.monotonic() + 10
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            while time.monotonic() < deadline:
                # SIOCGIFFLAGS: IFF_RUNNING (0x40) goes when the link loses its carrier.
                try:
                    flags = struct.unpack_from('H', fcntl.ioctl(probe.fileno(), 0x8913, struct.pack('256s', b'host0')), 16)[0]
                except OSError:
                    return
                if not flags & 0x40:
                    return
                time.sleep(0.01)

    def _run(self, sess, name, params, message_id, check_auth):
        params = [] if params is None else params
        m = self.lookup(name)
        if check_auth:
            self.authorize(sess, m)
        self.bind(m, sess, params)
        mock = self.mocks.get((m.name, repr(params))) or self.mocks.get((m.name, 'None'))
        if mock is not None:
            if 'exception' in mock:
                raise CallError('Exception()', 22)  # the mock raises Exception(): EINVAL, repr
            return mock['return_value']
        with self.lock:
            if not m.job:
                return m.func(self, sess, *params)
            job = self.jobs.add(m.name, params, sess, message_id)
            job.run(lambda: m.func(self, sess, *params))
        if sess.legacy_jobs:
            return job.id
        if job.exc is not None:
            raise job.exc
        return job.result

    # TOTP with pyotp, as 2FA checks do up to 25.10 (truenas/13.0-stable, stable/bluefin mw:plugins/auth.py)
    def totp(self, secret, digits, interval):
        return pyotp.TOTP(secret, digits=digits, interval=interval)

    def user_otp_params(self, user):
        tf = self.state.get_config('twofactor')
        if self.profile.global_digits:
            return tf['otp_digits'], tf['interval']
        return user['otp_digits'], user['interval']

    def verify_totp(self, secret, digits, interval, token):
        tf = self.state.get_config('twofactor')
        return bool(token) and self.totp(secret, digits, interval).verify(str(token), valid_window=tf['window'])

    def password_ok(self, username, password):
        return accounts.check_password(self.root or '/', username, password)

    # etc generation (mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py side effects, 3.1-3.4)
    def render_ssh(self):
        tf, ssh = self.state.get_config('twofactor'), self.state.get_config('ssh')
        users = self.state.users()
        changed = render.write_if_changed(self.path('/etc/ssh/sshd_config'),
                                          render.sshd_config(self.profile, tf, ssh, users))
        try:
            with open(self.path(render.PAM_SSHD_ORIG)) as f:
                original = f.read()
        except FileNotFoundError:
            original = '@include common-auth\n@include common-account\n@include common-session\n'
        changed |= render.write_if_changed(self.path('/etc/pam.d/sshd'), render.pam_sshd(self.profile, tf, original))
        if not self.profile.oath_when_enabled:  # users.oath in the `ssh` etc group up to 24.10
            changed |= self.render_oath()
        return changed

    def render_oath(self):
        tf = self.state.get_config('twofactor')
        return render.write_if_changed(self.path(self.profile.oath_path),
                                       render.users_oath(self.profile, tf, self.state.users()), 0o600)

    def render_user(self):
        if self.profile.oath_when_enabled:  # `user` etc group from 25.04
            return self.render_oath()
        return False

    def render_pam(self):
        if self.profile.pam_truenas:
            return render.write_if_changed(self.path('/etc/pam.d/truenas'),
                                           render.pam_truenas(self.profile, self.state.get_config('twofactor')))
        return False

    def render_all(self):
        self.render_ssh()
        self.render_user()
        self.render_pam()

    # services: the lab's systemd unit `ssh` is what the middleware service `ssh` drives (mw:plugins/ssh.py, mw:plugins/service.py)
    def ssh_running(self):
        r = self.run(['systemctl', 'is-active', '--quiet', 'ssh'])
        return r.returncode == 0

    def service_verb(self, verb, service):
        if service == 'user':   # 25.10 service.control RELOAD user regenerates users.oath (mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py)
            self.render_user()
            return True
        if service != 'ssh':
            raise CallError('Unknown service %r (the simulator knows "ssh")' % service, 2)
        verb = verb.lower()
        if verb in ('start', 'restart', 'reload'):
            self.render_ssh()
        if verb == 'reload' and not self.ssh_running():
            return False  # ssh.update reloads only a running service (mw:plugins/ssh.py, mw:plugins/service.py)
        r = self.run(['systemctl', verb, 'ssh'])
        self.log.append(('systemctl', verb, 'ssh', r.returncode))
        if r.returncode != 0:
            raise CallError('systemctl %s ssh failed: %s' % (verb, (r.stderr or '').strip()), 5)
        return verb != 'stop'

    def reload_ssh(self):
        return self.service_verb('reload', 'ssh')

    # first start
    def first_start(self):
        orig = self.path(render.PAM_SSHD_ORIG)
        if not os.path.exists(orig) and os.path.exists(self.path('/etc/pam.d/sshd')):
            os.makedirs(os.path.dirname(orig), mode=0o700, exist_ok=True)
            with open(self.path('/etc/pam.d/sshd')) as src, open(orig, 'w') as dst:
                dst.write(''.join(line for line in src if 'pam_oath' not in line))
        self.state.add_user('root', 0, '/root', gid=0)
        if self.profile.scale:
            accounts.ensure_admin(self.root or '/')
            accounts.sync_admin_password(self.root or '/')
            self.state.add_user('admin', 950, '/home/admin', gid=950, full_name='Local Administrator')
        accounts_model.bootstrap(self)
        os.makedirs(self.path('/mnt/tank'), exist_ok=True)   # the pool the harness expects
        if self.profile.core:
            os.makedirs(self.path('/usr/local/etc'), exist_ok=True)
        self.render_all()

    def find_user(self, username):
        user = self.state.get_user(username) if isinstance(username, str) else None
        if user is None:
            raise CallError('User %r does not exist' % (username,), 2)
        return user

    def is_full_admin(self, sess):
        return bool(sess.credentials and sess.credentials.full_admin)
