# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What CI harnesses call on real boxes besides the public API: the private datastore rows of
2FA users, the test plugin, the rate-limit cache, and a pool ``tank`` with the datasets user
homes need.

- datastore.query (private, mw:plugins/datastore/read.py): rows as stored, foreign keys nested
  under their name without ``_id`` (:261-283); account.twofactor_user_auth has secret, user,
  user_sid (23.10+), otp_digits and interval (24.04+), one row a local user from its creation
  (stable/goldeye mw:plugins/account.py:706-712); the harness reads it with
  [["user_id", "=", id]] (mw:test/integration/assets/two_factor_auth.py:19-20).
- test.* (private service, mw:plugins/test/): notify_test_start/end (log.py, 23.10+),
  set_mock/remove_mock/test1/test2 (mock.py, 23.10+), add_mock_role (stable/fangtooth mock.py:46),
  init (stable/goldeye init.py).
- rate.limit.* (private, stable/goldeye mw:plugins/rate_limit/__init__.py:7-35).
- pool.query / pool.dataset.* [sim: a directory /mnt/tank, datasets are directories under it].
"""
import errno
import os
import shutil

from .errors import CallError, ValidationErrors, is_of_type
from .registry import method, since
from .users_view import filter_list

POOL = 'tank'


def _private(profile):
    """A private service: every method of it is private, on every version."""
    return True


PRIVATE = _private


def _user_row(mw, user):
    """account.bsdusers as datastore.query returns it (bsdusr_ prefixed columns)."""
    return {'id': user['id'], 'bsdusr_uid': user['uid'], 'bsdusr_username': user['username'],
            'bsdusr_home': user['home'], 'bsdusr_full_name': user['full_name'], 'bsdusr_builtin': user['builtin'],
            'bsdusr_locked': user.get('locked', False), 'bsdusr_password_disabled': user.get('password_disabled', False),
            'bsdusr_ssh_password_enabled': user.get('ssh_password_enabled', False)}


def _twofactor_rows(mw):
    p = mw.profile
    rows = []
    for user in mw.state.users():
        row = {'id': user.get('twofactor_row', user['id']), 'secret': user.get('secret'),
               'user': _user_row(mw, user)}
        if p.per_user_secret:
            row['user_sid'] = None
        if p.per_user_options:
            row.update(otp_digits=user['otp_digits'], interval=user['interval'])
        rows.append((row, user['id']))
    return rows


def _without_user_id(row):
    return {k: v for k, v in row.items() if k != 'user_id'}


def _strip(row, prefix):
    if not prefix:
        return row
    return {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in row.items()}


@method('datastore.query', private=PRIVATE)
def datastore_query(mw, sess, name, filters=None, options=None):
    options = dict(options or {})
    prefix = options.pop('prefix', None)
    if name == 'account.twofactor_user_auth' and mw.profile.per_user_secret:
        pairs = _twofactor_rows(mw)
        # a filter on the foreign key column ("user_id") compares the referenced id
        rows = [dict(row, user_id=uid) for row, uid in pairs]
        out = filter_list(rows, filters, options)
        if isinstance(out, int):
            return out
        return _without_user_id(out) if isinstance(out, dict) else [_without_user_id(r) for r in out]
    if name == 'account.bsdusers':
        rows = [_strip(_user_row(mw, u), prefix) for u in mw.state.users()]
        return filter_list(rows, filters, options)
    if name == 'system.twofactorauthentication':
        return filter_list([mw.state.get_config('twofactor')], filters, options)
    raise CallError('Table %r is not simulated' % name, errno.ENOENT)  # [sim] other tables


# the test plugin -------------------------------------------------------------------------------
@method('test.notify_test_start', present=since('test_log'), private=PRIVATE)
def notify_test_start(mw, sess, name):
    mw.log.append(('test', 'start', name))


@method('test.notify_test_end', present=since('test_log'), private=PRIVATE)
def notify_test_end(mw, sess, name):
    mw.log.append(('test', 'end', name))


@method('test.set_mock', present=since('test_log'), private=PRIVATE)
def set_mock(mw, sess, name, args, description):
    if isinstance(description, dict) and set(description) in ({'exception'}, {'return_value'}):
        mw.mocks[(name, repr(args))] = description
        return None
    raise CallError('Invalid mock declaration')  # [sim] code mocks (exec of a string) are refused


@method('test.remove_mock', present=since('test_log'), private=PRIVATE)
def remove_mock(mw, sess, name, args):
    mw.mocks.pop((name, repr(args)), None)


@method('test.add_mock_role', present=since('test_mock_role'), private=PRIVATE)
def add_mock_role(mw, sess):
    mw.mock_role = True


@method('test.test1', present=since('test_log'), private=PRIVATE)
def test1(mw, sess):
    return None


@method('test.test2', present=since('test_log'), private=PRIVATE)
def test2(mw, sess):
    return None


@method('test.init', present=since('test_init'), private=PRIVATE)
def test_init(mw, sess):
    return None


# rate limit cache -----------------------------------------------------------------------------
@method('rate.limit.cache_clear', present=since('rate_limit'), private=PRIVATE)
def cache_clear(mw, sess):
    with mw.lock:
        mw.rate_cache.clear()


@method('rate.limit.cache_get', present=since('rate_limit'), private=PRIVATE)
def cache_get(mw, sess):
    return dict(mw.rate_cache)


@method('rate.limit.cache_pop', present=since('rate_limit'), private=PRIVATE)
def cache_pop(mw, sess, method_name, ip):
    mw.rate_cache.pop('%s_##_%s' % (method_name, ip), None)


# pool tank ------------------------------------------------------------------------------------
def _pool(mw):
    return {'id': 1, 'name': POOL, 'guid': '1234567890123456789', 'path': '/mnt/' + POOL, 'status': 'ONLINE',
            'healthy': True, 'warning': False, 'is_decrypted': True, 'encrypt': 0}


@method('pool.query')
def pool_query(mw, sess, filters=None, options=None):
    return filter_list([_pool(mw)], filters, options)


def _dataset(name):
    return {'id': name, 'name': name, 'pool': name.split('/', 1)[0], 'type': 'FILESYSTEM',
            'mountpoint': '/mnt/' + name, 'encrypted': False, 'children': []}


@method('pool.dataset.query')
def dataset_query(mw, sess, filters=None, options=None):
    base = mw.path('/mnt/' + POOL)
    names = [POOL]
    for top, dirs, _files in os.walk(base):
        for d in sorted(dirs):
            names.append(os.path.relpath(os.path.join(top, d), mw.path('/mnt')))
        if top.count('/') - base.count('/') >= 1:
            dirs[:] = []
    return filter_list([_dataset(n) for n in names], filters, options)


@method('pool.dataset.create')
def dataset_create(mw, sess, data):
    name = data.get('name') if isinstance(data, dict) else None
    if not is_of_type(name, str) or '/' not in name:
        raise ValidationErrors([('pool_dataset_create.name', 'Please include pool name', 22)])
    if name.split('/', 1)[0] != POOL:
        raise ValidationErrors([('pool_dataset_create.name', 'Pool %s does not exist' % name.split('/', 1)[0],
                                 errno.ENOENT)])
    path = mw.path('/mnt/' + name)
    if os.path.exists(path):
        raise ValidationErrors([('pool_dataset_create.name', 'Path %s already exists' % name, errno.EEXIST)])
    if not os.path.isdir(os.path.dirname(path)):
        raise ValidationErrors([('pool_dataset_create.name', 'Parent dataset does not exist', errno.ENOENT)])
    os.makedirs(path, mode=0o755)
    return _dataset(name)


@method('pool.dataset.delete')
def dataset_delete(mw, sess, id_, options=None):
    path = mw.path('/mnt/' + str(id_))
    if not is_of_type(id_, str) or '/' not in id_ or not os.path.isdir(path):
        raise ValidationErrors([(None, 'PoolDataset %s does not exist' % id_, errno.ENOENT)])
    if os.listdir(path) and not (options or {}).get('recursive'):
        for entry in os.listdir(path):
            if os.path.isdir(os.path.join(path, entry)):
                raise CallError('%s has children (use recursive)' % id_, errno.EBUSY)
    shutil.rmtree(path)
    return True
