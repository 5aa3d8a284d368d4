# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The middleware's exceptions, as methods raise them; the wire modules turn them into the shapes
of each protocol and era (wire_legacy.py, wire_jsonrpc.py).

Modelled on stable/goldeye src/middlewared/middlewared/service_exception.py:7-92 (``mw:`` below
stands for src/middlewared/middlewared/): ``str(CallError)`` is ``[ERRNAME] message``,
``str(ValidationErrors)`` one ``[ERRNAME] attribute: message`` line per error, each ending in a
newline. The same text on every branch from truenas/13.0-stable to stable/26.
"""
import errno as _errno

# truenas_api_client/exc.py:25-44 (api_client stable/goldeye): the middleware's own errnos.
ENOMETHOD = 201
ESERVICESTARTFAILURE = 202
ENOTAUTHENTICATED = 207
_OWN_ERRNAMES = {ENOMETHOD: 'ENOMETHOD', ESERVICESTARTFAILURE: 'ESERVICESTARTFAILURE',
                 ENOTAUTHENTICATED: 'ENOTAUTHENTICATED'}


def errname(code):
    """mw:service_exception.py:7-8 get_errname: the POSIX name, the middleware's own, or EUNKNOWN."""
    return _errno.errorcode.get(code) or _OWN_ERRNAMES.get(code) or 'EUNKNOWN'


class CallError(Exception):
    """mw:service_exception.py:15-23."""
    real_class = 'CallError'   # the class name a box reports in a trace (subclasses here are finer)
    real_module = 'middlewared.service_exception'

    def __init__(self, errmsg, errno=_errno.EFAULT, extra=None):
        super().__init__(errmsg)
        self.errmsg = errmsg
        self.errno = errno
        self.extra = extra

    def __str__(self):
        return '[%s] %s' % (errname(self.errno), self.errmsg)

    def real_repr(self):
        """repr() on the box: BaseException keeps the constructor's arguments."""
        args = (self.errmsg,) if self.errno == _errno.EFAULT else (self.errmsg, self.errno)
        return '%s(%s)' % (self.real_class, ', '.join(repr(a) for a in args))


class MethodNotFound(CallError):
    """The lookup of a name (mw:utils/service/call.py:12-34 on stable/bluefin to stable/26): the
    legacy protocol sends it as it is; JSON-RPC answers -32601 "Method does not exist" instead
    (stable/goldeye mw:api/base/server/ws_handler/rpc.py:317-322)."""

    def __init__(self, name, service_exists=False):
        self.name = name
        if service_exists:
            self.real_class, self.real_module = 'MethodNotFoundError', 'middlewared.utils.service.call'
        if '.' not in name:
            super().__init__('Invalid method name', _errno.EBADMSG)
            return
        service, method = name.rsplit('.', 1)
        if service_exists:
            super().__init__('Method %r not found in %r' % (method, service), ENOMETHOD)
        else:
            super().__init__('Service %r not found' % service, ENOMETHOD)


class NotAuthenticated(CallError):
    """stable/goldeye mw:main.py:910-911 (CallError 'Not authenticated', ENOTAUTHENTICATED); the
    legacy wire of each era words it its own way (wire_legacy.py)."""

    def __init__(self):
        super().__init__('Not authenticated', ENOTAUTHENTICATED)


class NotAuthorized(CallError):
    """stable/goldeye mw:main.py:913-926: the credential may not call the method (EACCES)."""

    def __init__(self):
        super().__init__('Not authorized', _errno.EACCES)


class RateLimited(CallError):
    """stable/goldeye mw:main.py:876-903 (stable/electriceel mw:main.py:374-392 on the legacy
    socket): too many unauthenticated calls of one method from one address."""

    def __init__(self):
        super().__init__('Rate Limit Exceeded', _errno.EBUSY)


class ValidationError(CallError):
    """mw:service_exception.py:26-47: one attribute."""
    real_class = 'ValidationError'

    def __init__(self, attribute, errmsg, errno=_errno.EINVAL):
        super().__init__(errmsg, errno)
        self.attribute = attribute

    def __str__(self):
        return '[%s] %s: %s' % (errname(self.errno), self.attribute, self.errmsg)

    def __iter__(self):
        yield self.attribute, self.errmsg, self.errno

    def real_repr(self):
        if self.real_class == 'InstanceNotFound':
            return 'InstanceNotFound(%r)' % self.errmsg
        return 'ValidationError(%r, %r, %r)' % (self.attribute, self.errmsg, self.errno)


class ValidationErrors(CallError):
    """mw:service_exception.py:50-92: several attributes, ``extra`` = [[attribute, message, errno]]."""
    real_class = 'ValidationErrors'

    def __init__(self, errors=()):
        self.errors = [tuple(e) for e in errors]
        super().__init__(str(self), _errno.EINVAL)
        self.errmsg = str(self)

    def add(self, attribute, errmsg, errno=_errno.EINVAL):
        self.errors.append((attribute, errmsg, errno))
        self.errmsg = str(self)

    def check(self):
        if self.errors:
            raise self

    def __bool__(self):
        return bool(self.errors)

    def __iter__(self):
        return iter(self.errors)

    def __str__(self):
        return ''.join('[%s] %s: %s\n' % (errname(e), a, m) for a, m, e in self.errors)

    def real_repr(self):
        return 'ValidationErrors([%s])' % ', '.join('ValidationError(%r, %r, %r)' % e for e in self.errors)

    @property
    def extra(self):
        return [list(e) for e in self.errors]

    @extra.setter
    def extra(self, _value):
        pass


class SchemaError(CallError):
    """truenas/13.0-stable mw:schema.py:23-31 Error: the old schema's own exception, ``str`` is
    ``[attribute] message``. On CORE 13 an argument's clean() raises it out of the call (Dict.clean
    :591-613 and the accepts wrapper :926-940 catch nothing), and mw:main.py:165-168 sends it as a
    CallError: its errno, that text, no type, extra null. SCALE's schema turns it into a
    ValidationErrors entry instead (stable/bluefin mw:schema.py:832-838, :1232-1240)."""
    real_class = 'Error'
    real_module = 'middlewared.schema'

    def __init__(self, attribute, errmsg, errno=_errno.EINVAL):
        self.attribute = attribute
        super().__init__(errmsg, errno)

    def __str__(self):
        return '[%s] %s' % (self.attribute, self.errmsg)

    def real_repr(self):
        return 'Error(%r, %r)' % (self.attribute, self.errmsg)


class MatchNotFound(CallError):
    """filter_list with ``get`` and no match (mw:service_exception.py:121-123 MatchNotFound, an
    IndexError): the wire sends it as any other exception, errno EINVAL and reason repr(e)
    ('MatchNotFound()'), stable/goldeye mw:api/base/server/ws_handler/rpc.py:379-392."""

    real_class = 'MatchNotFound'

    def __init__(self):
        super().__init__('MatchNotFound()', _errno.EINVAL)

    def __str__(self):
        return 'MatchNotFound()'

    def real_repr(self):
        return 'MatchNotFound()'


def instance_not_found(verbose_name, id_):
    """get_instance of a missing id: InstanceNotFound, a ValidationError with no attribute and
    errno ENOENT (mw:service_exception.py:115-118, mw:service/crud_service.py get_instance)."""
    err = ValidationError(None, '%s %s does not exist' % (verbose_name, id_), _errno.ENOENT)
    err.real_class = 'InstanceNotFound'
    return err


def invalid(attr, msg, code=_errno.EINVAL):
    return ValidationErrors([(attr, msg, code)])


# pydantic's messages, which the 25.04+ API models answer with (mw:api/base/handler/accept.py:70-84
# joins each error's loc with "." and keeps pydantic's msg). Older eras' schema layer words them
# differently; the simulator uses these everywhere [sim: wording only].
EXTRA_FORBIDDEN = 'Extra inputs are not permitted'
FIELD_REQUIRED = 'Field required'


def is_of_type(value, kind):
    """Strict schema typing (the API models are strict, mw:api/base/model.py:148-151): True and
    False are not integers."""
    if kind is bool:
        return isinstance(value, bool)
    return isinstance(value, kind) and not isinstance(value, bool)


def type_message(kind):
    return {bool: 'Input should be a valid boolean', int: 'Input should be a valid integer',
            str: 'Input should be a valid string', list: 'Input should be a valid list',
            dict: 'Input should be a valid dictionary'}.get(kind, 'Invalid type')
