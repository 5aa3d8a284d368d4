# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plain HTTP side of the box on the websocket ports: REST /api/v2.0 (up to 25.10), /_upload,
/api/versions, and 404 for the rest.

Authentication follows mw:restful.py (stable/bluefin :27-77, stable/goldeye :44-127) and, on 26,
mw:apps/file_app.py:70-190: HTTP Basic is refused with 401 "HTTP Basic Auth is unavailable when
OTP is enabled" while global 2FA is on (bluefin and cobia :46, electriceel :84, fangtooth :95,
goldeye :98; stable/26 file_app.py:159); a wrong password is 401 ("Bad username or password" from
24.04's rewrite, a bare 401 before); an unknown key 401 "Invalid API key"; no credentials a bare
401 ("401: Unauthorized", aiohttp's default text).

REST resources are resolved the way register_resources names them (a service's path, ``id/<id>``
for CRUD items, a method name as the last part); answers as mw:restful.py:889-925 (422 with
{message, errno} for a CallError, {attribute: [{message, errno}]} for validation errors).
[sim] Only the methods the simulator has are reachable; query parameters are not parsed.
"""
import base64
import binascii
import email.parser
import email.policy
import http
import json

from .errors import CallError, ValidationErrors

UNAUTHORIZED_TEXT = '401: Unauthorized'
OTP_TEXT = 'HTTP Basic Auth is unavailable when OTP is enabled'


class HttpReply(Exception):
    def __init__(self, status, body, content_type='text/plain; charset=utf-8'):
        super().__init__(status)
        self.status, self.body, self.content_type = http.HTTPStatus(status), body, content_type

    def response(self):
        body = self.body if isinstance(self.body, bytes) else self.body.encode()
        return self.status, [('Content-Type', self.content_type)], body


def _json(status, obj):
    return HttpReply(status, json.dumps(obj), 'application/json')


class HttpSurface:
    def __init__(self, mw, make_session):
        self.mw = mw
        self.make_session = make_session

    def handle(self, method, path, headers, body, origin):
        """(status, headers, body) for a request that is not a websocket upgrade."""
        try:
            self._route(method, path.split('?', 1)[0], headers, body, origin)
        except HttpReply as reply:
            return reply.response()
        return HttpReply(404, '404: Not Found').response()

    def _route(self, method, path, headers, body, origin):
        p = self.mw.profile
        if path == '/api/versions' and p.jsonrpc:
            # stable/fangtooth mw:main.py:1263-1267 lists every version; stable/goldeye :1302-1306
            # leaves v24.10 out
            versions = p.api_versions if p.profile == '25.04' else [v for v in p.api_versions if v != 'v24.10']
            raise _json(200, versions)
        if path.startswith('/_upload'):
            self._upload(headers, body, origin)
        if path.startswith('/api/v2.0/') and p.rest:
            self._rest(method, path[len('/api/v2.0/'):].strip('/'), headers, body, origin)

    # authentication ---------------------------------------------------------------------------
    def _credentials(self, headers):
        auth = headers.get('Authorization')
        if auth is None:
            return None
        if auth.startswith('Basic '):
            try:
                username, password = base64.b64decode(auth[6:]).decode('utf-8').split(':', 1)
            except binascii.Error:
                raise HttpReply(400 if self.mw.profile.rank >= 3 else 401, '400: Bad Request') from None
            except (UnicodeDecodeError, ValueError):
                raise HttpReply(400, '400: Bad Request') from None
            return ('basic', username, password)
        if auth.startswith('Bearer '):
            return ('key', auth.split(' ', 1)[1])
        if auth.startswith('Token '):
            return ('token', auth.split(' ', 1)[1])
        return None

    def _authenticate(self, creds, origin):
        sess = self.make_session(origin)
        if creds is None:
            raise HttpReply(401, UNAUTHORIZED_TEXT)
        if creds[0] == 'basic':
            if self.mw.state.get_config('twofactor')['enabled']:
                raise HttpReply(401, OTP_TEXT)
            if not self.mw.password_ok(creds[1], creds[2]) or not self.mw.state.get_user(creds[1]):
                raise HttpReply(401, 'Bad username or password' if self.mw.profile.rank >= 3 else UNAUTHORIZED_TEXT)
            sess.login(creds[1], 'password')
            return sess
        if creds[0] == 'key':
            from .methods_auth import find_key
            key = find_key(self.mw, creds[1])
            if key is None:
                raise HttpReply(401, 'Invalid API key' if self.mw.profile.rank >= 3 else UNAUTHORIZED_TEXT)
            sess.login(key.get('username') or 'root', 'api_key', key=key)
            return sess
        raise HttpReply(403, 'Invalid token')

    # /_upload ---------------------------------------------------------------------------------
    def _upload(self, headers, body, origin):
        """mw:apps/file_app.py upload (stable/26 :339-390; bluefin mw:main.py:471-497): the
        multipart ``data`` part first, then the credentials."""
        ctype = headers.get('Content-Type', '')
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b'Content-Type: ' + ctype.encode() + b'\r\n\r\n' + (body or b''))
        parts = list(msg.iter_parts()) if msg.is_multipart() else []
        if not parts:
            raise HttpReply(405, 'No part found on payload')
        if parts[0].get_param('name', header='content-disposition') != 'data':
            raise HttpReply(405, '"data" part must be the first on payload')
        try:
            data = json.loads(parts[0].get_payload(decode=True))
        except ValueError as e:
            raise HttpReply(400, str(e)) from None
        if 'method' not in data:
            raise HttpReply(422, '')
        self._authenticate(self._credentials(headers), origin)
        raise HttpReply(405, '"file" not found as second part on payload')  # [sim] no upload jobs

    # REST -------------------------------------------------------------------------------------
    def _resolve(self, verb, parts, body):
        methods = {name for name, m in _present(self.mw)}
        for cut in range(len(parts), 0, -1):
            service = '.'.join(parts[:cut])
            rest = parts[cut:]
            if not any(n.rsplit('.', 1)[0] == service for n in methods):
                continue
            if rest[:1] == ['id'] and len(rest) >= 2:
                pk = _scalar(rest[1])
                if len(rest) == 3:
                    return '%s.%s' % (service, rest[2]), [pk] + _args(body)
                verb_method = {'GET': 'get_instance', 'PUT': 'update', 'DELETE': 'delete'}.get(verb)
                return '%s.%s' % (service, verb_method), [pk] + ([body] if verb == 'PUT' else [])
            if not rest:
                if verb == 'GET':
                    name = service + ('.config' if service + '.config' in methods else '.query')
                    return name, []
                if verb == 'PUT':
                    return service + '.update', [body]
                if verb == 'POST':
                    return service + '.create', [body]
            if len(rest) == 1 and '%s.%s' % (service, rest[0]) in methods:
                return '%s.%s' % (service, rest[0]), _args(body) if verb == 'POST' else []
        raise HttpReply(404, '404: Not Found')

    def _rest(self, verb, rel, headers, body, origin):
        parts = [x for x in rel.split('/') if x]
        try:
            payload = json.loads(body) if body else None
        except ValueError as e:
            raise HttpReply(400, str(e)) from None
        name, args = self._resolve(verb, parts, payload)
        sess = self._authenticate(self._credentials(headers), origin)
        try:
            result = self.mw.call(sess, name, args)
        except ValidationErrors as e:
            out = {}
            for attr, msg, code in e.errors:
                out.setdefault(attr, []).append({'message': msg, 'errno': code})
            raise _json(422, out) from None
        except CallError as e:
            if e.errmsg == 'Not authorized':
                raise HttpReply(403, '') from None
            raise _json(422, {'message': e.errmsg, 'errno': e.errno}) from None
        raise _json(200, result)


def _present(mw):
    from .registry import METHODS
    return [(n, m) for n, m in METHODS.items() if m.present(mw.profile)]


def _scalar(text):
    return int(text) if text.isdigit() else text


def _args(body):
    if body is None:
        return []
    return body if isinstance(body, list) else [body]
