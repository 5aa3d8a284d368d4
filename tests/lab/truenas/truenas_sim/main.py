# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""middlewared stand-in: `python3 -m truenas_sim.main` (the unit `middlewared.service`)."""
import argparse
import asyncio
import logging
import os
import socket
import ssl
import subprocess

import websockets

from . import load_methods
from .middleware import Middleware
from .profiles import get_profile
from .transport import Server, protocol_for

CONF = '/etc/truenas-sim/version'
CERT_DIR = '/etc/truenas-sim/ssl'


def _notify_ready():
    addr = os.environ.get('NOTIFY_SOCKET')
    if not addr:
        return
    if addr.startswith('@'):
        addr = '\0' + addr[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(b'READY=1', addr)


def ensure_cert(root):
    """A self-signed certificate made at first start with openssl (so wss:// works as on a box)."""
    d = root + CERT_DIR
    crt, key = d + '/server.crt', d + '/server.key'
    if not (os.path.exists(crt) and os.path.exists(key)):
        os.makedirs(d, mode=0o700, exist_ok=True)
        # Names and addresses in subjectAltName, so that a client that pins this certificate
        # (api_ca_path) can verify it against the host's address as well as its name.
        san = ','.join(['DNS:%s' % socket.gethostname()] + ['IP:%s' % a for a in _addresses()])
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650',
                        '-subj', '/CN=%s' % socket.gethostname(), '-addext', 'subjectAltName=' + san,
                        '-keyout', key, '-out', crt],
                       check=True, capture_output=True)
    return crt, key


def _addresses():
    """The host's global IPv4 addresses (the lab sets them before the host boots)."""
    out = subprocess.run(['ip', '-o', '-4', 'addr', 'show', 'scope', 'global'],
                         capture_output=True, text=True, check=False).stdout
    return [fields[3].split('/')[0] for fields in (line.split() for line in out.splitlines()) if len(fields) > 3]


async def serve(mw, root, tcp_ports, bind=None):
    server = Server(mw)
    sock_path = root + mw.profile.socket
    os.makedirs(os.path.dirname(sock_path), exist_ok=True)
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    kw = {'create_protocol': protocol_for(server), 'ping_interval': None, 'max_size': 2 ** 22}
    servers = [await websockets.unix_serve(server.handler, sock_path, **kw)]
    os.chmod(sock_path, 0o666)  # any local uid may connect (stable/goldeye mw:main.py:1460-1462)
    if tcp_ports:
        crt, key = ensure_cert(root)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        servers.append(await websockets.serve(server.handler, bind, tcp_ports[1], ssl=ctx, **kw))
        servers.append(await websockets.serve(server.handler, bind, tcp_ports[0], **kw))
    _notify_ready()
    await asyncio.Future()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--root', default='/', help='filesystem root (tests use a temp dir)')
    ap.add_argument('--version', help='TrueNAS version (default: read %s)' % CONF)
    ap.add_argument('--http-port', type=int, default=80)
    ap.add_argument('--https-port', type=int, default=443)
    ap.add_argument('--no-tcp', action='store_true')
    args = ap.parse_args(argv)
    root = args.root.rstrip('/')
    version = args.version
    if not version:
        with open(root + CONF) as f:
            version = f.read().strip()
    logging.basicConfig(level=logging.INFO, format='truenas-sim: %(message)s')
    logging.getLogger('websockets').setLevel(logging.WARNING)
    load_methods()
    mw = Middleware(root or '/', get_profile(version))
    mw.first_start()
    logging.info('TrueNAS %s (profile %s) up', version, mw.profile.profile)
    asyncio.run(serve(mw, root, None if args.no_tcp else (args.http_port, args.https_port)))


if __name__ == '__main__':
    main()
