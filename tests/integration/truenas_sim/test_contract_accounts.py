"""What admins' tooling and test harnesses set 2FA users up with (issue 15, facts 15-18), the way
the middleware's own integration assets do it (mw:test/integration/assets/account.py,
two_factor_auth.py, pool.py)."""
import concurrent.futures

import pyotp
import pytest

from conftest import SCALE

LAB_PROFILES = SCALE


def _builtin_administrators(box):
    return box.call('group.query', [['name', '=', 'builtin_administrators']], {'get': True})


@pytest.mark.parametrize('version', SCALE)
def test_a_created_admin_logs_in_gets_a_secret_and_is_deleted(boxes, version):
    box = boxes[version]
    name = 'tfa%s' % version.replace('.', '')
    data = {'username': name, 'full_name': 'Two Factor', 'group_create': True, 'password': 'Tfa-Pw-1',
            'groups': [_builtin_administrators(box)['id']], 'home': '/var/empty'}
    created = box.call('user.create', data)
    # the id up to 24.10, the entry from 25.04 (stable/goldeye mw:plugins/account.py:613)
    pk = created['id'] if box.rank >= 4 else created
    assert isinstance(pk, int)
    try:
        entry = box.call('user.get_instance', pk)
        assert entry['username'] == name and entry['builtin'] is False
        if box.rank >= 2:
            assert entry['twofactor_auth_configured'] is False
            row = box.call('datastore.query', 'account.twofactor_user_auth', [['user_id', '=', pk]], {'get': True})
            assert row['secret'] is None and row['user']['bsdusr_username'] == name and row['user_sid'] is None
            if box.rank >= 3:
                assert (row['otp_digits'], row['interval']) == (6, 30)
        rpc = box.ws('/websocket')
        assert rpc.call('auth.login', name, 'Tfa-Pw-1') is True              # a real account of the box
        rpc.close()
        if box.rank >= 2:
            box.enable_2fa()
            box.call('user.renew_2fa_secret', name, *([{'interval': 30}] if box.rank >= 3 else []))
            row = box.call('datastore.query', 'account.twofactor_user_auth', [['user_id', '=', pk]], {'get': True})
            assert len(row['secret']) == 32
            assert box.call('user.query', [['username', '=', name]], {'get': True})['twofactor_auth_configured']
            # now it wants a code; a refused login answers after 1-5 s from 23.10, so the login
            # with the code goes on a connection of its own meanwhile
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                with_code = pool.submit(box.legacy_login, name, 'Tfa-Pw-1', pyotp.TOTP(row['secret']).now())
                assert box.legacy_login(name, 'Tfa-Pw-1') is False
                assert with_code.result() is True
            box.disable_2fa()
            assert box.call('user.unset_2fa_secret', name) is None
            assert not box.call('user.query', [['username', '=', name]], {'get': True})['twofactor_auth_configured']
    finally:
        box.disable_2fa()
        box.call('user.delete', pk)
    assert box.call('user.query', [['username', '=', name]]) == []
    assert box.ssh('getent passwd %s' % name).returncode == 2


@pytest.mark.parametrize('version', SCALE)
def test_groups_and_privileges_grant_the_api(boxes, version):
    box = boxes[version]
    name = 'ops%s' % version.replace('.', '')
    gid_row = box.call('group.create', {'name': name + 'g'})
    group = box.call('group.get_instance', gid_row)
    priv = box.call('privilege.create', {'name': 'Ops %s' % version, 'local_groups': [group['gid']],
                                         'ds_groups': [], 'roles': ['READONLY_ADMIN'], 'web_shell': False})
    user = box.call('user.create', {'username': name, 'full_name': 'Ops', 'group_create': True, 'groups': [gid_row],
                                    'password': 'Ops-Pw-1'})
    pk = user['id'] if box.rank >= 4 else user
    try:
        assert [g['gid'] for g in priv['local_groups']] == [group['gid']]
        rpc = box.ws('/websocket')
        assert rpc.call('auth.login', name, 'Ops-Pw-1') is True
        assert rpc.error('auth.twofactor.update', {'window': 1})['reason'].endswith('Not authorized')
        rpc.close()
        box.call('privilege.update', priv['id'], {'roles': ['FULL_ADMIN']})
        rpc = box.ws('/websocket')
        assert rpc.call('auth.login', name, 'Ops-Pw-1') is True
        assert rpc.call('auth.twofactor.config')['id'] == 1
        rpc.close()
    finally:
        box.call('user.delete', pk)
        assert box.call('privilege.delete', priv['id']) is True
        box.call('group.delete', gid_row)
    r = box.midclt('group.get_instance', gid_row)
    assert r.returncode == 1 and 'does not exist' in r.stderr


@pytest.mark.parametrize('version', ['23.10', '25.04', '25.10', '26.0'])
def test_harness_plugin_pool_and_home_dataset(boxes, version):
    box = boxes[version]
    box.call('test.notify_test_start', 'contract')
    box.call('test.notify_test_end', 'contract')
    r = box.midclt('test.add_mock_role')
    assert (r.returncode == 0) == (box.rank >= 4)                # stable/fangtooth mw:plugins/test/mock.py:46
    r = box.midclt('test.init')
    assert (r.returncode == 0) == (box.rank >= 5)                # stable/goldeye mw:plugins/test/init.py
    assert box.call('pool.query', [['name', '=', 'tank']], {'get': True})['path'] == '/mnt/tank'
    ds = box.call('pool.dataset.create', {'name': 'tank/home%s' % version.replace('.', '')})
    try:
        name = 'hd%s' % version.replace('.', '')
        user = box.call('user.create', {'username': name, 'full_name': 'Home', 'group_create': True,
                                        'password': 'Home-Pw-1', 'home': ds['mountpoint'] + '/' + name,
                                        'home_create': True})
        pk = user['id'] if box.rank >= 4 else user
        assert box.ssh('stat -c %%a:%%U %s/%s' % (ds['mountpoint'], name)).stdout.strip() == '700:' + name
        box.call('user.delete', pk)
    finally:
        assert box.call('pool.dataset.delete', ds['id'], {'recursive': True}) is True


def test_audit_records_two_factor_logins_from_2504(boxes):
    box = boxes['25.10']
    with box.two_factor() as secret:
        rpc = box.ws('/api/current')
        rpc.call('auth.login_ex', {'mechanism': 'PASSWORD_PLAIN', 'username': 'root', 'password': box.password})
        rpc.call('auth.login_ex_continue', {'mechanism': 'OTP_TOKEN', 'otp_token': pyotp.TOTP(secret).now()})
        events = rpc.call('audit.query', {'services': ['MIDDLEWARE'], 'query-filters': [
            ['event', '=', 'AUTHENTICATION'], ['event_data.credentials.credentials', '=', 'LOGIN_TWOFACTOR']],
            'query-options': {'order_by': ['-message_timestamp'], 'limit': 1}})
        assert events and events[0]['success'] is True and events[0]['username'] == 'root'
        assert events[0]['event_data']['credentials']['credentials_data']['username'] == 'root'
        rpc.close()


def test_2310_changing_global_digits_wipes_every_secret(boxes):
    box = boxes['23.10']
    box.root_secret()
    try:
        box.call('auth.twofactor.update', {'interval': 60})           # stable/cobia mw:plugins/auth_/2fa.py
        assert not box.call('user.query', [['username', '=', 'root']], {'get': True})['twofactor_auth_configured']
    finally:
        box.call('auth.twofactor.update', {'interval': 30})
        box.disable_2fa()
