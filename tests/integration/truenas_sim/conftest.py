"""Helpers for the TrueNAS simulator's contract suite: one lab host per profile, reached the ways
a client reaches a real box (midclt over key SSH, websockets and HTTP on 80/443, real SSH logins).

Each test module is a file of its own, so that pytest-xdist (``--dist loadfile``) spreads them over
its workers, and names the profiles its lab holds (``LAB_PROFILES``); the module-scoped ``boxes``
fixture starts that lab once for the module.

Set-up and checks that are not about midclt itself go through one websocket session of root per
box (``Box.call``), as the middleware's own integration harness calls the API (stable/goldeye
mw:test/integration/utils/client.py:103-138: one client for the run, logged in with root's password,
private methods on); ``Box.midclt`` and ``Box.midclt_call`` are the CLI, for the tests about it. A
midclt call is a new SSH session and a Python start on the box: CPU that the suites running beside
this one lack.
"""
import base64
import contextlib
import http.client
import json
import os
import socket
import ssl
import subprocess
import time

import pyotp
import pytest

from fleet_lab import Lab

PROFILES = ['13.0', '22.12', '23.10', '24.10', '25.04', '25.10', '26.0']
SCALE = PROFILES[1:]
LEGACY_ONLY = ['13.0', '22.12', '23.10', '24.10']
JSONRPC = ['25.04', '25.10', '26.0']


def wrong_code(code):
    return '000000' if code != '000000' else '111111'


def _tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Box:
    def __init__(self, host, control_dir):
        self.host = host
        self.version = host.truenas_version
        self.rank = PROFILES.index(self.version)
        self.password = host.root_password
        # the lab's folder for ssh masters: `tests/lab/fleet down` ends them with the lab
        self.control_path = os.path.join(control_dir, '%C')
        self.admin = None

    def ssh(self, command, check=False, fresh=False):
        """A command as root over key SSH. The connections share one master (ControlMaster), which
        outlives sshd reloads and restarts (Debian's ssh.service kills the listener only);
        ``fresh`` makes a new connection, for checks that a key login still gets in."""
        mux = (['-o', 'ControlMaster=no', '-o', 'ControlPath=none'] if fresh else
               ['-o', 'ControlMaster=auto', '-o', 'ControlPersist=60s', '-o', 'ControlPath=' + self.control_path])
        # sshd re-executes itself on a reload or restart that the previous call asked for, and
        # refuses connections for that moment: try again then, and only then.
        for _attempt in range(20):
            res = subprocess.run(
                ['ssh', '-i', self.host.key, '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=no',
                 '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10'] + mux +
                ['root@' + self.host.address, command], capture_output=True, text=True, check=False, timeout=120)
            if not (res.returncode == 255 and 'Connection refused' in res.stderr):
                break
            time.sleep(0.5)
        if check:
            res.check_returncode()
        return res

    def midclt(self, method, *args, job=False):
        quoted = ' '.join("'%s'" % (a if isinstance(a, str) else json.dumps(a)).replace("'", "'\\''") for a in args)
        return self.ssh('midclt call %s%s %s' % ('-job ' if job else '', method, quoted))

    def midclt_call(self, method, *args, job=False):
        """midclt's stdout, parsed: JSON, or True/False, or the plain string."""
        r = self.midclt(method, *args, job=job)
        assert r.returncode == 0, '%s on %s: %s' % (method, self.version, r.stderr)
        out = r.stdout.strip()
        if out in ('True', 'False'):
            return out == 'True'
        try:
            return json.loads(out)
        except ValueError:
            return out

    def connect_admin(self):
        """Root's session for ``call``: logged in with the password while 2FA is off (the fixture
        opens it before any test), it stays logged in when a test turns 2FA on."""
        rpc = self.ws('/api/current' if self.rank >= 4 else '/websocket', clear=False)
        if self.rank >= 5:   # the option exists from stable/goldeye (mw:service/core_service.py:702-716)
            rpc.call('core.set_options', {'private_methods': True})
        assert rpc.call('auth.login', 'root', self.password) is True
        self.admin = rpc

    def call(self, method, *args):
        """A call as root over the admin session: the result, or an AssertionError with the error."""
        msg = self.admin.raw(method, *args)
        assert 'error' not in msg, '%s on %s: %s' % (method, self.version, msg['error'])
        return msg['result']

    def read(self, path):
        r = self.ssh('cat %s' % path)
        return r.stdout if r.returncode == 0 else None

    def clear_rate_limit(self):
        """Unauthenticated calls are rate limited from 24.10 (20 a method and address a minute):
        harnesses clear the cache between tests, as these do."""
        if self.rank >= 3:
            self.call('rate.limit.cache_clear')

    def ws(self, path='/websocket', tls=True, clear=True):
        import websocket
        if clear:
            self.clear_rate_limit()
        ws = websocket.create_connection(
            '%s://%s%s' % ('wss' if tls else 'ws', self.host.address, path),
            sslopt={'cert_reqs': ssl.CERT_NONE, 'check_hostname': False}, timeout=60)
        return Rpc(ws, legacy=path == '/websocket')

    def login(self, path='/api/current', user='root', password=None, tls=True):
        """A logged-in connection (password only: 2FA must be off for the user)."""
        rpc = self.ws(path, tls=tls)
        assert rpc.call('auth.login', user, password or self.password) is True
        return rpc

    def legacy_login(self, *args):
        """auth.login(*args) on a legacy connection of its own (the rate limit is not cleared: for
        a thread beside the test's own calls): its answer."""
        rpc = self.ws('/websocket', clear=False)
        try:
            return rpc.call('auth.login', *args)
        finally:
            rpc.close()

    def enable_2fa(self, ssh=False, window=1):
        self.call('auth.twofactor.update', {'enabled': True, 'window': window, 'services': {'ssh': ssh}})

    def disable_2fa(self):
        self.call('auth.twofactor.update', {'enabled': False, 'window': 0, 'services': {'ssh': False}})

    def root_secret(self, ssh=False):
        """Enable 2FA, then provision root's secret; returns it (base32)."""
        self.enable_2fa(ssh=ssh)
        if self.rank <= 1:
            return self.call('auth.twofactor.config')['secret']
        args = ['root'] if self.rank == 2 else ['root', {'interval': 30}]
        entry = self.call('user.renew_2fa_secret', *args)
        if self.rank >= 4:
            return pyotp.parse_uri(entry['twofactor_config']['provisioning_uri']).secret
        return self.call('user.provisioning_uri', 'root').split('secret=')[1].split('&')[0]

    @contextlib.contextmanager
    def two_factor(self, ssh=False):
        """2FA on with a fresh root secret (yielded) for the block, off again after it."""
        try:
            yield self.root_secret(ssh=ssh)
        finally:
            self.disable_2fa()

    def http(self, method, path, headers=None, body=None, tls=True):
        conn = (http.client.HTTPSConnection(self.host.address, 443, context=_tls(), timeout=30) if tls
                else http.client.HTTPConnection(self.host.address, 80, timeout=30))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    def basic(self, user='root', password=None):
        raw = '%s:%s' % (user, password or self.password)
        return {'Authorization': 'Basic ' + base64.b64encode(raw.encode()).decode()}

    def ssh_password_login(self, user, password, code):
        """keyboard-interactive as a person would: password, then the one-time code."""
        import paramiko

        def answer(title, instructions, prompts):
            return [code if ('one-time' in p.lower() or 'oath' in p.lower()) else password for p, _echo in prompts]
        t = paramiko.Transport(self._sshd_socket())
        try:
            t.start_client(timeout=20)
            t.auth_interactive(user, answer)
            return t.is_authenticated()
        except paramiko.AuthenticationException:
            return False
        finally:
            t.close()

    def _sshd_socket(self):
        """A TCP connection to sshd; refused only while sshd re-executes after a reload or restart
        that the previous call asked for (as in ``ssh``): try again then."""
        for _attempt in range(20):
            try:
                return socket.create_connection((self.host.address, 22), timeout=20)
            except ConnectionRefusedError:
                time.sleep(0.5)
        return socket.create_connection((self.host.address, 22), timeout=20)


class Rpc:
    """A bare websocket client: the raw messages, to pin the wire as it is."""

    def __init__(self, ws, legacy):
        self.wsock, self.legacy, self.seq = ws, legacy, 0
        self.events = []
        if legacy:
            ws.send(json.dumps({'msg': 'connect', 'version': '1', 'support': ['1']}))
            self.connected = json.loads(ws.recv())

    def send(self, message):
        self.wsock.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self):
        return json.loads(self.wsock.recv())

    def raw(self, method, *params, msg_id=None):
        """The whole reply message; notifications and events that come first are kept in .events."""
        self.seq += 1
        msg_id = msg_id if msg_id is not None else (str(self.seq) if self.legacy else self.seq)
        if self.legacy:
            self.send({'msg': 'method', 'id': msg_id, 'method': method, 'params': list(params)})
        else:
            self.send({'jsonrpc': '2.0', 'id': msg_id, 'method': method, 'params': list(params)})
        while True:
            msg = self.recv()
            if msg.get('id') == msg_id and ('result' in msg or 'error' in msg):
                return msg
            self.events.append(msg)

    def call(self, method, *params):
        msg = self.raw(method, *params)
        assert 'error' not in msg, msg
        return msg['result']

    def error(self, method, *params):
        msg = self.raw(method, *params)
        assert 'error' in msg, msg
        return msg['error']

    def close(self):
        self.wsock.close()


@pytest.fixture(scope='module')
def boxes(make_lab, request):
    """The module's boxes by version: a lab of the profiles its ``LAB_PROFILES`` names."""
    wanted = request.module.LAB_PROFILES
    name = os.environ.get('FLEET2FA_SIM_LAB')  # a lab already up, for work on the simulator itself
    if name:
        lab = Lab(name)
        lab.refresh()
    else:
        lab = make_lab(truenas=wanted)
    found = {h.truenas_version: Box(h, lab.control_dir) for h in lab.group('truenas') if h.truenas_version in wanted}
    assert sorted(found) == sorted(wanted), 'lab %s lacks profiles %s' % (lab.name, set(wanted) - set(found))
    for box in found.values():
        box.connect_admin()
    yield found
    for box in found.values():
        box.admin.close()
