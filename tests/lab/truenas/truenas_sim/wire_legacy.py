# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The legacy DDP-style websocket, ``/websocket``, in its three eras:

- ``core``: truenas/13.0-stable mw:main.py class Application (on_message :215-283, send_error
  :56-70): error objects without ``errname``, an unauthenticated call is EACCES "Not
  authenticated", ``sub``/``unsub`` need a login too.
- ``scale``: stable/bluefin to stable/electriceel mw:main.py class Application (bluefin :85-377):
  ``errname``, an unauthenticated call is ENOTAUTHENTICATED with the bare reason "Not
  authenticated" and no trace.
- ``rpcapp``: stable/fangtooth to stable/26 mw:apps/websocket_app.py: the JSON-RPC app's checks
  (authorize_method_call raises CallError, so the reason is "[ENOTAUTHENTICATED] Not
  authenticated" with a trace), and no answer to ``ping``.

Each era: ``connect`` (version "1") -> ``connected`` with a session id; anything before it ->
``failed``; ``method`` -> ``result`` with ``result`` or ``error``; ValidationErrors -> errno
EAGAIN with type VALIDATION (bluefin mw:main.py:206-207, stable/electriceel :234);
``sub`` -> ``ready``; events as ``added``/``changed``/``removed`` with ``collection``, ``id``,
``fields``.
"""
import errno
import json

from .errors import (CallError, MethodNotFound, NotAuthenticated, NotAuthorized, RateLimited, ValidationError,
                     ValidationErrors, errname)
from .wire import Wire


class LegacyWire(Wire):
    def __init__(self, mw, sess, send):
        super().__init__(mw, sess, send)
        self.era = mw.profile.legacy_wire
        self.handshake = False

    # errors -----------------------------------------------------------------------------------
    def error_dict(self, err_no, reason=None, exc=None, etype=None, extra=None):
        out = {'error': err_no}
        if self.era != 'core':
            out['errname'] = errname(err_no)
        out.update(type=etype, reason=reason, trace=self.trace(exc) if exc is not None else None, extra=extra)
        return out

    def send_error(self, msg_id, err_no, reason=None, exc=None, etype=None, extra=None):
        self.send({'msg': 'result', 'id': msg_id, 'error': self.error_dict(err_no, reason, exc, etype, extra)})

    def error_for(self, exc):
        """call_method's except clauses (bluefin mw:main.py:201-221; mw:apps/websocket_app.py:177-217)."""
        if isinstance(exc, ValidationErrors):
            return self.error_dict(errno.EAGAIN, str(exc), exc, 'VALIDATION', exc.extra)
        if isinstance(exc, ValidationError):
            return self.error_dict(exc.errno, str(exc), exc, 'VALIDATION', [[exc.attribute, exc.errmsg, exc.errno]])
        return self.error_dict(exc.errno, str(exc), exc, None, exc.extra)

    # messages ---------------------------------------------------------------------------------
    async def on_message(self, raw):
        try:
            message = json.loads(raw)
        except ValueError:
            return 'close'  # aiohttp closes with INVALID_TEXT (mw:main.py ws_handler) [sim: close only]
        if not isinstance(message, dict):
            return 'close'
        kind = message.get('msg')
        if kind == 'connect':
            if message.get('version') != '1':
                self.send({'msg': 'failed', 'version': '1'})
            else:
                self.sess.py_exceptions = 'PY_EXCEPTIONS' in (message.get('features') or [])
                self.send({'msg': 'connected', 'session': self.sess.session_id})
                self.handshake = True
            return None
        if not self.handshake:
            self.send({'msg': 'failed', 'version': '1'})
            return None
        if kind == 'method':
            self._method(message)
        elif kind == 'ping' and self.era != 'rpcapp':
            pong = {'msg': 'pong'}
            if 'id' in message:
                pong['id'] = message['id']
            self.send(pong)
        elif kind == 'sub':
            self._sub(message)
        elif kind == 'unsub':
            if self.era == 'core' and not self.sess.authenticated:
                self.send_error(message.get('id'), errno.EACCES, 'Not authenticated')
            else:
                self.sess.subscriptions.pop(message.get('id'), None)
        return None

    def _method(self, message):
        msg_id = message.get('id')
        if 'method' not in message:
            self.send_error(msg_id, errno.EINVAL, "Message is malformed: 'method' is absent.")
            return
        name = message['method']
        try:
            self.mw.lookup(name)
        except MethodNotFound as e:
            self.send_error(msg_id, e.errno, str(e), e, extra=e.extra)
            return
        params = message.get('params') or []
        self.spawn(self._call(name, params, msg_id))

    def refusal(self, e):
        """How each era words the checks before the call (see the module docstring)."""
        if self.era == 'rpcapp':
            return self.error_dict(e.errno, str(e), e)
        if isinstance(e, NotAuthenticated):
            return self.error_dict(errno.EACCES if self.era == 'core' else e.errno, 'Not authenticated')
        return self.error_dict(e.errno, e.errmsg)   # 'Not authorized' EACCES, 'Rate Limit Exceeded' EBUSY

    async def _call(self, name, params, msg_id):
        if not isinstance(params, list) and self.era != 'core':
            try:
                self.mw.authorize(self.sess, self.mw.lookup(name))
            except CallError as e:
                self.send({'msg': 'result', 'id': msg_id, 'error': self.refusal(e)})
                return
            self.send_error(msg_id, errno.EINVAL, '`params` must be a list.')
            return
        try:
            result = await self.run(self.mw.call, self.sess, name, params, msg_id)
        except (NotAuthenticated, NotAuthorized, RateLimited) as e:
            self.send({'msg': 'result', 'id': msg_id, 'error': self.refusal(e)})
            return
        except CallError as e:
            self.send({'msg': 'result', 'id': msg_id, 'error': self.error_for(e)})
            return
        self.send({'id': msg_id, 'msg': 'result', 'result': result})

    def _sub(self, message):
        ident, name = message.get('id'), message.get('name')
        if not self.sess.authenticated:
            # CORE refuses any sub before login; later eras ask can_subscribe, which is False for
            # an unauthenticated session unless the event needs no authentication.
            if self.era == 'core':
                self.send_error(ident, errno.EACCES, 'Not authenticated')
            else:
                self.send_error(ident, errno.EACCES, 'Not authorized')
            return
        self.sess.subscriptions[ident] = name
        self.send({'msg': 'ready', 'subs': [ident]})

    def send_event(self, name, kind, kwargs):
        self.send(self.event(name, kind, kwargs))
