"""The dispatcher: sessions, method lookup with the version's presence/privacy/auth rules, jobs,
and the etc/service side effects every namespace shares."""
import inspect
import os
import socket
import subprocess
import threading
import time

import pyotp

from . import accounts, render
from .errors import CallError, InvalidParams, MethodNotFound, NotAuthenticated
from .registry import METHODS
from .state import State


class Session:
    def __init__(self, transport='network', local_uid=None):
        self.transport = transport
        self.authenticated = False
        self.username = None
        self.via = None
        self.private_allowed = False
        self.pending = None          # login_ex waiting for OTP_TOKEN (brief 2.4)
        if local_uid is not None:
            # brief 5 [V]: a uid-0 connection on the local socket is root with no password and no
            # OTP; another uid is that user through PAM "unix" without a password. That root may
            # call private methods is [I-sim] (midclt as root reaches private methods on a box).
            import pwd
            try:
                self.username = pwd.getpwuid(local_uid).pw_name
            except KeyError:
                self.username = str(local_uid)
            self.authenticated = True
            self.via = 'unix'
            self.private_allowed = local_uid == 0

    def login(self, username, via):
        self.authenticated, self.username, self.via, self.pending = True, username, via, None


def _default_runner(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


class Middleware:
    def __init__(self, root, profile, runner=None):
        self.root = root.rstrip('/') or ''
        self.profile = profile
        self.state = State(root, profile)
        self.run = runner or _default_runner
        self.jobs = {}
        self.lock = threading.Lock()
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
    def call(self, sess, name, params=None):
        params = [] if params is None else params
        m = METHODS.get(name)
        if m is None or not m.present(self.profile):
            raise MethodNotFound(name)
        if m.is_private(self.profile) and not sess.private_allowed:
            # brief 2.3: "25.04+ private". How it shows is [I-sim]: as a method that does not exist.
            # brief 2.3 says 26 only logs a warning for non-UI connections; the simulator refuses so
            # that nothing comes to depend on it ("Do not depend on this").
            raise MethodNotFound(name)
        if not m.no_auth and not sess.authenticated:
            raise NotAuthenticated()
        if not isinstance(params, list):
            raise InvalidParams([('params', 'params must be a list', 22)])
        try:
            inspect.signature(m.func).bind(self, sess, *params)
        except TypeError as e:
            raise InvalidParams([(name, 'Invalid arguments: %s' % e, 22)]) from None
        with self.lock:
            if not m.job:
                return m.func(self, sess, *params)
            return self._run_job(m, sess, params)

    def _run_job(self, m, sess, params):
        # Jobs finish before the call returns [I-sim]; the id is returned as the real API does for a
        # job method, and core.get_jobs (or `midclt call -job`) gives the result.
        jid = len(self.jobs) + 1
        job = {'id': jid, 'method': m.name, 'arguments': params, 'state': 'RUNNING', 'result': None,
               'error': None, 'exception': None, 'exc_info': None,
               'progress': {'percent': 0, 'description': '', 'extra': None},
               'time_started': {'$date': int(time.time() * 1000)}, 'time_finished': None}
        self.jobs[jid] = job
        try:
            job['result'] = m.func(self, sess, *params)
            job['state'] = 'SUCCESS'
            job['progress']['percent'] = 100
        except CallError as e:
            job.update(state='FAILED', error=e.reason,
                       exc_info={'type': e.error_type or 'CALL_ERROR', 'errno': e.errno, 'extra': e.extra})
        job['time_finished'] = {'$date': int(time.time() * 1000)}
        return jid

    # TOTP with pyotp, as 2FA checks do up to 25.10 (brief 2.2, 2.4 [V])
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

    # etc generation (brief 2.1 side effects, 3.1-3.4)
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
        if not self.profile.oath_when_enabled:  # users.oath in the `ssh` etc group up to 24.10 [V]
            changed |= self.render_oath()
        return changed

    def render_oath(self):
        tf = self.state.get_config('twofactor')
        return render.write_if_changed(self.path(self.profile.oath_path),
                                       render.users_oath(self.profile, tf, self.state.users()), 0o600)

    def render_user(self):
        if self.profile.oath_when_enabled:  # `user` etc group from 25.04 [V]
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

    # services: the lab's systemd unit `ssh` is what the middleware service `ssh` drives (brief 4)
    def ssh_running(self):
        r = self.run(['systemctl', 'is-active', '--quiet', 'ssh'])
        return r.returncode == 0

    def service_verb(self, verb, service):
        if service == 'user':   # 25.10 service.control RELOAD user regenerates users.oath (brief 2.1)
            self.render_user()
            return True
        if service != 'ssh':
            raise CallError('Unknown service %r (the simulator knows "ssh")' % service, 2)
        verb = verb.lower()
        if verb in ('start', 'restart', 'reload'):
            self.render_ssh()
        if verb == 'reload' and not self.ssh_running():
            return False  # ssh.update reloads only a running service (brief 4 [V])
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
        self.state.add_user('root', 0, '/root')
        if self.profile.scale:
            accounts.ensure_admin(self.root or '/')
            accounts.sync_admin_password(self.root or '/')
            self.state.add_user('admin', 950, '/home/admin')
        if self.profile.core:
            os.makedirs(self.path('/usr/local/etc'), exist_ok=True)
        self.render_all()

    def find_user(self, username):
        user = self.state.get_user(username) if isinstance(username, str) else None
        if user is None:
            raise CallError('User %r does not exist' % (username,), 2)
        return user

    def is_full_admin(self, sess):
        # Every account the simulator knows (root, admin) is a full admin; API keys up to 24.10 are
        # global and act as full admin [I-sim].
        return sess.via in ('unix', 'api_key') or sess.username in ('root', 'admin')
