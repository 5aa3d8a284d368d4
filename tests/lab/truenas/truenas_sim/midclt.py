# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`midclt` for the simulated box: `midclt call [-job] [-q] <method> [args...]`, `midclt ping`.

Output as truenas/api_client's CLI (stable/goldeye truenas_api_client/__init__.py:998-1090): an
int or str result is printed as is (so a bool prints True/False), anything else as JSON; an error
goes to stderr and exits 1: a validation error as its "[ERRNAME] attribute: message" lines
(exc.py:88-109), another error as its reason, then the trace's "formatted" text and the extra,
pprinted. Each argument is parsed as JSON and, failing that, taken as a string. `-job` waits for a
job and prints its result. [sim] Remote options (-u/-U/-P/-K) are not simulated.
"""
import argparse
import asyncio
import errno
import json
import pprint
import sys

import websockets

from .profiles import get_profile

CONF = '/etc/truenas-sim/version'


def _arg(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


class Failed(Exception):
    """An error as the official client raises it: (text, trace, extra)."""

    def __init__(self, err, jsonrpc_code=None):
        validation = jsonrpc_code == -32602 or err.get('type') == 'VALIDATION'
        if validation:
            text = '\n'.join('[%s] %s: %s' % (errno.errorcode.get(e[2], 'EUNKNOWN'), e[0] or 'ALL', e[1])
                             for e in err.get('extra') or [])
            self.trace, self.extra = None, None
        else:
            text = err.get('reason') or err.get('message') or ''
            self.trace, self.extra = err.get('trace'), err.get('extra')
        super().__init__(text)
        self.text = text


async def _rpc(ws, jsonrpc, seq, method, params):
    if jsonrpc:
        await ws.send(json.dumps({'jsonrpc': '2.0', 'id': seq, 'method': method, 'params': params}))
    else:
        await ws.send(json.dumps({'msg': 'method', 'id': str(seq), 'method': method, 'params': params}))
    while True:
        msg = json.loads(await ws.recv())
        if str(msg.get('id')) != str(seq):
            continue
        if 'error' in msg:
            err = msg['error']
            if jsonrpc:
                raise Failed(err.get('data') or {'message': err.get('message')}, err.get('code'))
            raise Failed(err)
        return msg.get('result')


async def run(args, profile):
    jsonrpc = profile.jsonrpc  # 25.04+ speak JSON-RPC; older boxes the legacy protocol (mw:main.py)
    uri = 'ws://localhost' + ('/api/current' if jsonrpc else '/websocket')
    async with websockets.unix_connect(args.socket or profile.socket, uri, max_size=2 ** 22) as ws:
        if not jsonrpc:
            await ws.send(json.dumps({'msg': 'connect', 'version': '1', 'support': ['1']}))
            json.loads(await ws.recv())
        if args.name == 'ping':
            return await _rpc(ws, jsonrpc, 1, 'core.ping', [])
        params = [_arg(a) for a in args.args]
        rv = await _rpc(ws, jsonrpc, 1, args.method, params)
        if args.job:
            if not isinstance(rv, int):
                raise Failed({'reason': '%s is not a job' % args.method})  # [sim] wording
            job = await _rpc(ws, jsonrpc, 2, 'core.get_jobs', [[['id', '=', rv]], {'get': True}])
            if job['state'] != 'SUCCESS':
                info = job.get('exc_info') or {}
                raise Failed({'reason': job.get('error'), 'trace': {'formatted': job.get('exception') or ''},
                              'extra': info.get('extra'), 'type': info.get('type')})  # Job.result, :329-358
            rv = job['result']
        return rv


def main(argv=None):
    ap = argparse.ArgumentParser(prog='midclt')
    ap.add_argument('-q', '--quiet', action='store_true')
    ap.add_argument('--socket', help='unix socket (default: the version\'s path)')
    sub = ap.add_subparsers(dest='name', required=True)
    c = sub.add_parser('call')
    c.add_argument('-job', '--job', action='store_true')
    c.add_argument('-jp', '--job-print', help='accepted, ignored')
    c.add_argument('method')
    c.add_argument('args', nargs='*')
    sub.add_parser('ping')
    args = ap.parse_args(argv)
    with open(CONF) as f:
        profile = get_profile(f.read().strip())
    try:
        rv = asyncio.run(run(args, profile))
    except Failed as e:
        if not args.quiet:
            if e.text:
                print(e.text, file=sys.stderr)
            if e.trace:
                print(e.trace['formatted'], file=sys.stderr)
            if e.extra:
                pprint.pprint(e.extra, stream=sys.stderr)
        return 1
    except (FileNotFoundError, ConnectionRefusedError):
        print('Failed to run middleware call. Daemon not running?', file=sys.stderr)
        return 1
    if isinstance(rv, (int, str)):
        print(rv)
    else:
        print(json.dumps(rv))
    return 0


if __name__ == '__main__':
    sys.exit(main())
