"""Helpers for the TrueNAS simulator's contract suite: one lab host per profile, reached the ways
a client reaches a real box (midclt over key SSH, websockets on 80/443, real SSH logins)."""
import json
import socket
import ssl
import subprocess
import time

import pytest

PROFILES = ['13.0', '22.12', '23.10', '24.10', '25.04', '25.10', '26.0']


def wrong_code(code):
    return '000000' if code != '000000' else '111111'


class Box:
    def __init__(self, host):
        self.host = host
        self.version = host.truenas_version
        self.rank = PROFILES.index(self.version)

    def ssh(self, command, check=False):
        # sshd re-executes itself on a reload or restart that the previous call asked for, and
        # refuses connections for that moment: try again then, and only then.
        for _attempt in range(20):
            res = subprocess.run(
                ['ssh', '-i', self.host.key, '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=no',
                 '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10',
                 'root@' + self.host.address, command], capture_output=True, text=True, check=False, timeout=120)
            if not (res.returncode == 255 and 'Connection refused' in res.stderr):
                break
            time.sleep(0.5)
        if check:
            res.check_returncode()
        return res

    def midclt(self, method, *args, job=False):
        quoted = ' '.join("'%s'" % (a if isinstance(a, str) else json.dumps(a)).replace("'", "'\\''") for a in args)
        return self.ssh('midclt call %s%s %s' % ('-job ' if job else '', method, quoted))

    def call(self, method, *args, job=False):
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

    def read(self, path):
        r = self.ssh('cat %s' % path)
        return r.stdout if r.returncode == 0 else None

    def ws(self, path='/websocket', tls=True):
        import websocket
        ws = websocket.create_connection(
            '%s://%s%s' % ('wss' if tls else 'ws', self.host.address, path),
            sslopt={'cert_reqs': ssl.CERT_NONE, 'check_hostname': False}, timeout=30)
        return Rpc(ws, legacy=path == '/websocket')

    def ssh_password_login(self, user, password, code):
        """keyboard-interactive as a person would: password, then the one-time code."""
        import paramiko

        def answer(title, instructions, prompts):
            return [code if ('one-time' in p.lower() or 'oath' in p.lower()) else password for p, _echo in prompts]
        t = paramiko.Transport(socket.create_connection((self.host.address, 22), timeout=20))
        try:
            t.start_client(timeout=20)
            t.auth_interactive(user, answer)
            return t.is_authenticated()
        except paramiko.AuthenticationException:
            return False
        finally:
            t.close()


class Rpc:
    def __init__(self, ws, legacy):
        self.wsock, self.legacy, self.seq = ws, legacy, 0
        if legacy:
            ws.send(json.dumps({'msg': 'connect', 'version': '1', 'support': ['1']}))
            self.connected = json.loads(ws.recv())

    def raw(self, method, *params):
        """The whole reply message."""
        self.seq += 1
        if self.legacy:
            self.wsock.send(json.dumps({'msg': 'method', 'id': str(self.seq), 'method': method, 'params': list(params)}))
        else:
            self.wsock.send(json.dumps({'jsonrpc': '2.0', 'id': self.seq, 'method': method, 'params': list(params)}))
        return json.loads(self.wsock.recv())

    def call(self, method, *params):
        msg = self.raw(method, *params)
        assert 'error' not in msg, msg
        return msg['result']

    def close(self):
        self.wsock.close()


@pytest.fixture(scope='module')
def boxes(make_lab):
    lab = make_lab(truenas=PROFILES)
    return {h.truenas_version: Box(h) for h in lab.group('truenas')}
