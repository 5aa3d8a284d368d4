# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON-RPC 2.0 at /api/current and /api/<version> (25.04+), after stable/goldeye
mw:api/base/server/ws_handler/rpc.py (stable/fangtooth and stable/26 differ where noted):

- a message that is no JSON: -32700 with the parser's text, id null (:250-252);
- no ``jsonrpc: "2.0"``, a bad ``id`` or ``method``, ``params`` not a list: -32600 with the
  validator's text, answered only when the message has an id (:272-313);
- an unknown name: -32601 "Method does not exist" and no data (:317-322);
- a private method runs: the server only logs a warning on a connection that did not set
  ``private_methods`` (:323-328; stable/26 :335-340; stable/fangtooth has no check at all);
- ValidationError(s): -32602 "Invalid params", data.error EINVAL, data.extra the list (:366-373);
- CallError and the rest: -32001 "Method call error" with data {error, errname, reason, trace,
  extra} (:374-392), ``py_exception`` when the session asked for it;
- events: notifications ``collection_update`` (:159-182).
"""
import base64
import json
import pickle

from .errors import CallError, MethodNotFound, ValidationError, ValidationErrors, errname
from .wire import Wire

INVALID_JSON, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
TRUENAS_CALL_ERROR = -32001
_UNDEFINED = object()


class JsonRpcWire(Wire):
    # errors -----------------------------------------------------------------------------------
    def send_error(self, msg_id, code, message, data=None):
        error = {'code': code, 'message': message}
        if data is not None:
            error['data'] = data
        self.send({'jsonrpc': '2.0', 'error': error, 'id': msg_id})

    def truenas_error(self, err_no, reason, exc=None, extra=None):
        out = {'error': err_no, 'errname': errname(err_no), 'reason': reason,
               'trace': self.trace(exc) if exc is not None else None, 'extra': extra}
        if self.sess.py_exceptions and exc is not None:
            try:
                out['py_exception'] = base64.b64encode(pickle.dumps(exc)).decode() + '\n'
            except Exception:  # noqa: BLE001 (mw: "Error pickling py_exception" is only logged)
                pass
        return out

    def error_of(self, exc):
        if isinstance(exc, ValidationErrors):
            return INVALID_PARAMS, 'Invalid params', self.truenas_error(22, str(exc), exc, exc.extra)
        if isinstance(exc, ValidationError):
            return INVALID_PARAMS, 'Invalid params', self.truenas_error(
                22, str(exc), exc, [[exc.attribute, exc.errmsg, exc.errno]])
        return TRUENAS_CALL_ERROR, 'Method call error', self.truenas_error(exc.errno, str(exc), exc, exc.extra)

    # messages ---------------------------------------------------------------------------------
    @staticmethod
    def validate(message):
        if message.get('jsonrpc', _UNDEFINED) is _UNDEFINED:
            raise ValueError("Missing 'jsonrpc' member")
        if message['jsonrpc'] != '2.0':
            raise ValueError("'jsonrpc' member must be of type string and must be exactly '2.0'")
        if 'id' in message and not (message['id'] is None or isinstance(message['id'], (int, str))):
            raise ValueError("'id' member must be of type null, string or number")
        if 'method' not in message:
            raise ValueError("Missing 'method' member")
        if not isinstance(message['method'], str) or not message['method']:
            raise ValueError("'method' member must be of type string")
        message.setdefault('params', [])
        if not isinstance(message['params'], list):
            raise ValueError("'params' member must be of type array")

    async def on_message(self, raw):
        try:
            message = json.loads(raw)
        except ValueError as e:
            self.send_error(None, INVALID_JSON, str(e))
            return None
        if isinstance(message, list):
            self.send_error(None, INVALID_JSON, 'Batch messages are not supported at this time')
            return None
        if not isinstance(message, dict):
            self.send_error(None, INVALID_JSON, 'Message must be a JSON object')  # [sim: wording]
            return None
        msg_id = message.get('id', _UNDEFINED)
        try:
            self.validate(message)
        except ValueError as e:
            if msg_id is not _UNDEFINED:
                self.send_error(msg_id, INVALID_REQUEST, str(e))
            return None
        try:
            self.mw.lookup(message['method'])
        except MethodNotFound:
            if msg_id is not _UNDEFINED:
                self.send_error(msg_id, METHOD_NOT_FOUND, 'Method does not exist')
            return None
        self.spawn(self._call(message, msg_id))
        return None

    async def _call(self, message, msg_id):
        try:
            result = await self.run(self.mw.call, self.sess, message['method'], message['params'],
                                    None if msg_id is _UNDEFINED else msg_id)
        except CallError as e:
            if msg_id is not _UNDEFINED:
                self.send_error(msg_id, *self.error_of(e))
            return
        if msg_id is not _UNDEFINED:
            self.send({'jsonrpc': '2.0', 'result': result, 'id': msg_id})

    def send_event(self, name, kind, kwargs):
        self.send({'jsonrpc': '2.0', 'method': 'collection_update', 'params': self.event(name, kind, kwargs)})
