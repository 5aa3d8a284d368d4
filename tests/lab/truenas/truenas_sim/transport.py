# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The box's listeners: the local unix socket (what midclt uses) and TCP 80 / 443 (TLS), each
serving the legacy /websocket on every version, JSON-RPC 2.0 at /api/current and /api/<version>
from 25.04 (stable/goldeye mw:main.py:279-280, :1433-1444), and plain HTTP (http_surface.py).

websockets' legacy server reads GET requests only; the protocol below also reads the other
methods (and their bodies), so that REST and /_upload answer as aiohttp would rather than with a
400 for a POST.
"""
import asyncio
import json
import socket
import struct

from websockets.exceptions import ConnectionClosed
from websockets.legacy.http import read_headers, read_line
from websockets.legacy.server import WebSocketServerProtocol

from .http_surface import HttpSurface
from .session import Origin, Session
from .wire_jsonrpc import JsonRpcWire
from .wire_legacy import LegacyWire


class SimProtocol(WebSocketServerProtocol):
    """Any HTTP/1.x method; a body read by Content-Length for the plain HTTP surface."""

    http_method = 'GET'
    http_body = b''

    async def read_http_request(self):
        line = await read_line(self.reader)
        try:
            method, raw_path, _version = line.split(b' ', 2)
        except ValueError:
            raise ValueError('invalid HTTP request line') from None
        headers = await read_headers(self.reader)
        self.http_method = method.decode('ascii', 'replace')
        length = int(headers.get('Content-Length') or 0)
        if self.http_method != 'GET' and length:
            self.http_body = await self.reader.readexactly(length)
        self.path = raw_path.decode('ascii', 'surrogateescape')
        self.request_headers = headers
        return self.path, headers

    sim = None  # the Server, set by protocol_for()

    async def process_request(self, path, request_headers):
        return await self.sim.process_request(self, path, request_headers)


def protocol_for(server):
    return type('BoundSimProtocol', (SimProtocol,), {'sim': server})


def _origin(ws):
    sock = ws.transport.get_extra_info('socket')
    if sock is not None and sock.family == socket.AF_UNIX:
        pid, uid, _gid = struct.unpack('3i', sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                             struct.calcsize('3i')))
        return Origin('unix', uid=uid, pid=pid)
    peer = ws.transport.get_extra_info('peername') or ('', 0)
    return Origin('tcp', address=peer[0], tls=ws.transport.get_extra_info('sslcontext') is not None)


class Server:
    def __init__(self, mw):
        self.mw = mw
        self.http = HttpSurface(mw, Session)

    def endpoint(self, path):
        path = (path or '/').split('?', 1)[0].rstrip('/')
        if path == '/websocket':
            return 'legacy'
        p = self.mw.profile
        if p.jsonrpc and path.startswith('/api/') and (path == '/api/current' or path[5:] in p.api_versions):
            # older API versions answer with the current methods [sim: no per-version models]
            return 'jsonrpc'
        return None

    async def process_request(self, ws, path, headers):
        upgrade = 'websocket' in headers.get('Upgrade', '').lower()
        if ws.http_method == 'GET' and upgrade and self.endpoint(path):
            return None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.http.handle, ws.http_method, path, headers, ws.http_body,
                                          _origin(ws))

    async def handler(self, ws, path=None):
        path = path if path is not None else ws.path
        kind = self.endpoint(path)
        sess = Session(_origin(ws))
        queue = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def send(message):
            loop.call_soon_threadsafe(queue.put_nowait, json.dumps(message))

        wire = (LegacyWire if kind == 'legacy' else JsonRpcWire)(self.mw, sess, send)
        writer = asyncio.ensure_future(self._writer(ws, queue))
        self.mw.sessions.add(sess)
        try:
            async for raw in ws:
                if not isinstance(raw, str):
                    # aiohttp closes a binary frame with UNSUPPORTED_DATA (1003), stable/goldeye
                    # mw:api/base/server/ws_handler/rpc.py:225-230
                    await ws.close(1003, 'Invalid websocket message type: <WSMsgType.BINARY: 2>')
                    break
                if await wire.on_message(raw) == 'close':
                    await ws.close(1007, 'Invalid message')
                    break
        except ConnectionClosed:
            pass  # a client that goes without a close frame (midclt, tests) is not an error
        finally:
            self.mw.sessions.discard(sess)
            sess.push = None
            for task in list(wire.tasks):
                task.cancel()
            writer.cancel()

    @staticmethod
    async def _writer(ws, queue):
        try:
            while True:
                await ws.send(await queue.get())
        except (ConnectionClosed, asyncio.CancelledError):
            pass
