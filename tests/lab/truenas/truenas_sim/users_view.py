"""How a user looks in results (brief 2.3), and the query filters the API takes."""
import pyotp

from .errors import InvalidParams


def provisioning_uri(mw, user):
    # brief 2.3 [V]: pyotp provisioning_uri, label "<username>-<hostname>@TrueNAS", issuer iXsystems
    digits, interval = mw.user_otp_params(user)
    return pyotp.TOTP(user['secret'], digits=digits, interval=interval).provisioning_uri(
        name='%s-%s@TrueNAS' % (user['username'], mw.hostname()), issuer_name='iXsystems')


def twofactor_config(mw, user):
    # brief 2.3 [V]: {provisioning_uri|null, secret_configured, interval, otp_digits}
    digits, interval = mw.user_otp_params(user)
    return {'provisioning_uri': provisioning_uri(mw, user) if user.get('secret') else None,
            'secret_configured': bool(user.get('secret')), 'interval': interval, 'otp_digits': digits}


def user_entry(mw, user):
    # Fields beyond id/uid/username and the brief's 2FA/SSH fields are [I-sim].
    e = {'id': user['id'], 'uid': user['uid'], 'username': user['username'], 'full_name': user['full_name'],
         'home': user['home'], 'shell': '/bin/bash' if mw.profile.scale else '/bin/csh',
         'builtin': user['builtin'], 'locked': False, 'password_disabled': False, 'email': None,
         'sshpubkey': None, 'smb': False}
    if mw.profile.ssh_password_enabled:
        e['ssh_password_enabled'] = user['ssh_password_enabled']      # brief 4, 23.10+ [V]
    if mw.profile.per_user_secret:
        e['twofactor_auth_configured'] = bool(user.get('secret'))   # brief 2.3, 23.10+ [V]
    return e


_OPS = {
    '=': lambda a, b: a == b, '!=': lambda a, b: a != b, 'in': lambda a, b: a in b,
    'nin': lambda a, b: a not in b, '^': lambda a, b: str(a).startswith(b), '$': lambda a, b: str(a).endswith(b),
    '>': lambda a, b: a > b, '<': lambda a, b: a < b, '>=': lambda a, b: a >= b, '<=': lambda a, b: a <= b,
}


def filter_list(rows, filters, options):
    """The query-filters subset the collection uses: [[field, op, value], ...] and options get,
    count, limit, select [I-sim: the real grammar is larger]."""
    filters = filters or []
    options = options or {}
    if not isinstance(filters, list) or not isinstance(options, dict):
        raise InvalidParams([('filters', 'Expected a list of filters and an options object', 22)])
    out = []
    for row in rows:
        keep = True
        for f in filters:
            if not (isinstance(f, list) and len(f) == 3 and f[1] in _OPS):
                raise InvalidParams([('filters', 'Invalid filter %r' % (f,), 22)])
            keep = keep and f[0] in row and _OPS[f[1]](row[f[0]], f[2])
        if keep:
            out.append(row)
    if options.get('select'):
        out = [{k: r[k] for k in options['select'] if k in r} for r in out]
    if options.get('limit'):
        out = out[:options['limit']]
    if options.get('count'):
        return len(out)
    if options.get('get'):
        if not out:
            from .errors import CallError
            raise CallError('Object not found', 2, name='ENOENT')  # MatchNotFound-like [I-sim]
        return out[0]
    return out
