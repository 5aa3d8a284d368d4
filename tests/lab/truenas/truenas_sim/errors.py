"""Errors in the middleware's shapes (brief 0/issue 5: `data.error` errno, `errname`, `reason`,
`trace`, `extra`). JSON-RPC codes -32001 (method call error), -32602 (invalid params) and -32601
(method not found) follow JSON-RPC 2.0 and the issue; the exact `reason` strings are [I-sim]
unless a comment quotes the brief."""
import errno as _errno

JSONRPC_METHOD_NOT_FOUND = -32601
JSONRPC_INVALID_PARAMS = -32602
JSONRPC_CALL_ERROR = -32001

# Not a POSIX errno: the name the simulator reports for an unauthenticated call [I-sim]; the
# number is EACCES's because the real value is not in the brief.
ENOTAUTHENTICATED = _errno.EACCES


def errname(code):
    return _errno.errorcode.get(code, 'EFAULT')


class CallError(Exception):
    """A method refused the call (JSON-RPC -32001)."""
    jsonrpc_code = JSONRPC_CALL_ERROR
    error_type = None

    def __init__(self, errmsg, errno=_errno.EFAULT, extra=None, name=None):
        super().__init__(errmsg)
        self.errmsg = errmsg
        self.errno = errno
        self.extra = extra
        self.name = name or errname(errno)

    @property
    def reason(self):
        return '[%s] %s' % (self.name, self.errmsg)

    def data(self):
        return {
            'error': self.errno, 'errname': self.name, 'reason': self.reason,
            'trace': {'class': type(self).__name__, 'frames': [], 'formatted': self.reason},
            'extra': self.extra,
        }


class ValidationErrors(CallError):
    """Business-rule validation (the code raised ValidationErrors): -32001 with errno EINVAL and
    `extra` as [[attribute, message, errno], ...] [I-sim: shape of extra]."""
    error_type = 'VALIDATION'

    def __init__(self, errors):
        self.errors = list(errors)  # (attribute, message, errno)
        text = ''.join('[%s] %s: %s\n' % (errname(e), a, m) for a, m, e in self.errors)
        super().__init__(text.strip(), _errno.EINVAL, extra=[list(e) for e in self.errors])

    @property
    def reason(self):
        return self.errmsg


class InvalidParams(ValidationErrors):
    """Schema errors (unknown or mistyped fields): JSON-RPC -32602 "Invalid params" (issue 5)."""
    jsonrpc_code = JSONRPC_INVALID_PARAMS


class MethodNotFound(CallError):
    jsonrpc_code = JSONRPC_METHOD_NOT_FOUND

    def __init__(self, method):
        super().__init__('Method %r not found' % method, _errno.ENOENT)


class NotAuthenticated(CallError):
    def __init__(self):
        super().__init__('Not authenticated', ENOTAUTHENTICATED, name='ENOTAUTHENTICATED')


def invalid(attr, msg, code=_errno.EINVAL):
    return ValidationErrors([(attr, msg, code)])


def is_of_type(value, kind):
    """Strict schema typing as the middleware validates it: True and False are not integers."""
    if kind is bool:
        return isinstance(value, bool)
    return isinstance(value, kind) and not isinstance(value, bool)
