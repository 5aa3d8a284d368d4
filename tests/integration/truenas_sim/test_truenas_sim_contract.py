"""Contract of the TrueNAS simulator, one lab host per profile: each test pins a behaviour the
brief (/work/shared/research/truenas-2fa.md) cites for that version, on the running box."""
import base64

import pyotp
import pytest

from conftest import PROFILES, wrong_code

PREFIX = {'13.0': 'TrueNAS-13.0-', '22.12': 'TrueNAS-SCALE-22.12', '23.10': 'TrueNAS-SCALE-23.10',
          '24.10': 'TrueNAS-SCALE-24.10', '25.04': 'TrueNAS-25.04', '25.10': 'TrueNAS-25.10', '26.0': 'TrueNAS-26.0'}


def _enable_and_get_root_secret(box, ssh=False):
    """brief 8 rollout order: enable, then provision root's secret; returns it (base32)."""
    box.call('auth.twofactor.update', {'enabled': True, 'window': 1, 'services': {'ssh': ssh}})
    if box.rank <= 1:
        return box.call('auth.twofactor.config')['secret']            # brief 2.2
    args = ['root'] if box.rank == 2 else ['root', {'interval': 30}]  # brief 2.3
    entry = box.call('user.renew_2fa_secret', *args)
    if box.rank >= 4:
        return pyotp.parse_uri(entry['twofactor_config']['provisioning_uri']).secret
    return box.call('user.provisioning_uri', 'root').split('secret=')[1].split('&')[0]


@pytest.mark.parametrize('version', PROFILES)
def test_midclt_answers_with_the_version_and_its_config_fields(boxes, version):
    box = boxes[version]
    assert box.call('system.version').startswith(PREFIX[version])
    cfg = box.call('auth.twofactor.config')
    assert ('secret' in cfg) == (box.rank <= 1)                       # brief 2.1 table
    assert ('otp_digits' in cfg and 'interval' in cfg) == (box.rank <= 2)
    root = box.call('user.query', [['username', '=', 'root']], {'get': True})
    assert ('twofactor_auth_configured' in root) == (box.rank >= 2)   # brief 2.3
    assert ('rootlogin' in box.call('ssh.config')) == (box.rank <= 1)  # brief 4


def test_midclt_error_goes_to_stderr_with_a_nonzero_exit(boxes):
    r = boxes['24.10'].midclt('auth.twofactor.update', {'otp_digits': 6})  # brief 8: schema error 24.04+
    assert r.returncode == 1 and 'otp_digits' in r.stderr and r.stdout == ''


@pytest.mark.parametrize('version', PROFILES)
def test_methods_present_and_private_by_version(boxes, version):
    box = boxes[version]
    m = box.call('core.get_methods')
    r = box.rank
    assert ('auth.twofactor.renew_secret' in m) == (r <= 1)           # brief 2.2
    assert ('user.renew_2fa_secret' in m) == (r >= 2)                 # brief 2.3
    assert ('auth.me' in m) == (r >= 3)
    assert ('auth.login_ex' in m) == (r >= 4)                         # brief 2.4
    assert ('auth.two_factor_auth' in m) == (r <= 3)
    assert ('service.control' in m) == (r >= 5)                       # brief 4
    if r >= 2:
        assert m['user.provisioning_uri']['private'] == (r >= 4)
        assert m['user.verify_twofactor_token']['private'] == (r >= 4)
    assert m['service.restart']['private'] == (r >= 6)
    assert m['service.restart']['removed_in'] == ('v26.04' if r >= 5 else None)


@pytest.mark.parametrize('version', PROFILES)
def test_network_endpoints_and_unauthenticated_calls(boxes, version):
    import websocket
    box = boxes[version]
    legacy = box.ws('/websocket')
    assert legacy.connected['msg'] == 'connected' and legacy.connected['session']
    assert legacy.call('core.ping') == 'pong'
    err = legacy.raw('auth.twofactor.config')['error']
    assert err['errname'] == 'ENOTAUTHENTICATED' and {'error', 'reason', 'trace', 'extra'} <= set(err)
    legacy.close()
    if box.rank < 4:
        with pytest.raises(websocket.WebSocketBadStatusException):
            box.ws('/api/current')
        return
    for path in ('/api/current', '/api/v25.04.0'):
        rpc = box.ws(path)
        assert rpc.call('core.ping') == 'pong'
        err = rpc.raw('system.info')['error']
        assert err['code'] == -32001 and err['data']['errname'] == 'ENOTAUTHENTICATED'
        rpc.close()
    assert box.ws('/api/current', tls=False).call('core.ping') == 'pong'  # port 80 too


def test_global_api_key_up_to_2410_over_legacy_websocket(boxes):
    box = boxes['24.10']
    key = box.call('api_key.create', {'name': 'contract'})['key']
    rpc = box.ws('/websocket')
    assert rpc.call('auth.login_with_api_key', key + 'x') is False
    assert rpc.call('auth.login_with_api_key', key) is True
    assert rpc.call('auth.twofactor.config')['id'] == 1
    rpc.close()


@pytest.mark.parametrize('version', ['25.04', '26.0'])
def test_user_bound_api_key_and_private_methods_over_jsonrpc(boxes, version):
    box = boxes[version]
    key = box.call('api_key.create', {'name': 'contract', 'username': 'root'})['key']
    assert key.split('-', 1)[0].isdigit()                            # brief 2.5 "<id>-<secret>"
    rpc = box.ws('/api/current')
    bad = rpc.call('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'admin', 'api_key': key})
    assert bad['response_type'] == 'AUTH_ERR'
    ok = rpc.call('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'root', 'api_key': key})
    assert ok['response_type'] == 'SUCCESS'
    err = rpc.raw('user.provisioning_uri', 'root')['error']           # brief 2.3: private 25.04+
    assert err['code'] == -32601
    err = rpc.raw('auth.twofactor.update', {'otp_digits': 6})['error']  # brief 8: schema error
    assert err['code'] == -32602 and err['data']['errname'] == 'EINVAL' and err['data']['extra']
    if box.rank >= 6:
        assert rpc.raw('service.restart', 'ssh')['error']['code'] == -32601  # brief 4: private on 26
    rpc.close()


@pytest.mark.parametrize('version', ['13.0', '23.10', '24.10'])
def test_auth_login_with_otp_up_to_2410(boxes, version):
    box = boxes[version]
    secret = _enable_and_get_root_secret(box)
    code = pyotp.TOTP(secret).now()
    pw = box.host.root_password
    rpc = box.ws('/websocket')
    assert rpc.call('auth.login', 'root', pw) is False                # brief 2.4: OTP needed
    assert rpc.call('auth.login', 'root', pw, wrong_code(code)) is False
    assert rpc.call('auth.login', 'root', pw, code) is True
    assert rpc.call('system.version').startswith(PREFIX[version])
    rpc.close()


def _login_ex(rpc, pw):
    return rpc.call('auth.login_ex', {'mechanism': 'PASSWORD_PLAIN', 'username': 'root', 'password': pw})


def _otp(rpc, token):
    return rpc.call('auth.login_ex_continue', {'mechanism': 'OTP_TOKEN', 'otp_token': token})['response_type']


@pytest.mark.parametrize('version', ['25.04', '25.10'])
def test_login_ex_three_tries_and_a_reused_code_accepted(boxes, version):
    box = boxes[version]
    secret = _enable_and_get_root_secret(box)
    code, pw = pyotp.TOTP(secret).now(), box.host.root_password
    rpc = box.ws('/api/current')
    assert 'error' in rpc.raw('auth.login_ex_continue', {'mechanism': 'OTP_TOKEN', 'otp_token': code})
    assert _login_ex(rpc, pw) == {'response_type': 'OTP_REQUIRED', 'username': 'root'}
    assert [_otp(rpc, wrong_code(code)) for _attempt in range(3)] == ['OTP_REQUIRED', 'OTP_REQUIRED', 'AUTH_ERR']
    for _attempt in range(2):                                          # brief 2.4: pyotp, no replay state
        assert _login_ex(rpc, pw)['response_type'] == 'OTP_REQUIRED'
        assert _otp(rpc, code) == 'SUCCESS'
    rpc.close()


def test_26_wrong_code_ends_the_attempt_and_a_replayed_code_is_refused(boxes):
    box = boxes['26.0']
    secret = _enable_and_get_root_secret(box)
    code, pw = pyotp.TOTP(secret).now(), box.host.root_password
    rpc = box.ws('/api/current')
    assert _login_ex(rpc, pw)['response_type'] == 'OTP_REQUIRED'
    assert _otp(rpc, wrong_code(code)) == 'AUTH_ERR'                   # issue 5
    assert _login_ex(rpc, pw)['response_type'] == 'OTP_REQUIRED'
    assert _otp(rpc, code) == 'SUCCESS'                                # through PAM pam_oath (brief 3.3)
    assert _login_ex(rpc, pw)['response_type'] == 'OTP_REQUIRED'
    assert _otp(rpc, code) == 'AUTH_ERR'                               # brief 2.4: replay refused
    rpc.close()


def test_2310_changing_global_digits_wipes_every_secret(boxes):
    box = boxes['23.10']
    _enable_and_get_root_secret(box)
    box.call('auth.twofactor.update', {'interval': 60})                # brief 2.1, PR #11592
    assert not box.call('user.query', [['username', '=', 'root']], {'get': True})['twofactor_auth_configured']
    box.call('auth.twofactor.update', {'interval': 30})


@pytest.mark.parametrize('version', PROFILES)
def test_ssh_2fa_side_effects_on_the_hosts_real_files(boxes, version):
    box = boxes[version]
    secret = _enable_and_get_root_secret(box, ssh=True)
    path = '/usr/local/etc/users.oath' if box.rank == 0 else '/etc/users.oath'   # brief 3.1
    hexsecret = base64.b16encode(base64.b32decode(secret)).decode()
    assert ('HOTP/T30/6\troot\t-\t%s\n' % hexsecret) in box.read(path)
    assert box.ssh('stat -c %a ' + path).stdout.strip() == '600'
    pam = box.read('/etc/pam.d/sshd').splitlines()                      # brief 3.2
    assert pam[pam.index('@include common-auth') + 1] == 'auth required pam_oath.so usersfile=%s window=1' % path
    cfg = box.read('/etc/ssh/sshd_config').splitlines()                 # brief 3.4
    assert 'PubkeyAuthentication yes' in cfg and 'UsePAM yes' in cfg
    assert ('ChallengeResponseAuthentication yes' in cfg) == (box.rank <= 3)
    assert 'ChallengeResponseAuthentication no' not in cfg
    assert box.ssh('sshd -t').returncode == 0
    if box.rank >= 6:                                                   # brief 3.3
        assert 'user_unknown=ignore default=die] pam_oath.so' in box.read('/etc/pam.d/truenas')


@pytest.mark.parametrize('version', ['13.0', '25.10'])
def test_real_ssh_login_with_password_and_code(boxes, version):
    box = boxes[version]
    secret = _enable_and_get_root_secret(box, ssh=True)
    if box.rank <= 1:
        box.call('ssh.update', {'rootlogin': True, 'passwordauth': True})   # brief 4 CORE rootlogin
    else:
        box.call('ssh.update', {'passwordauth': True})
        assert box.call('user.update', 1, {'ssh_password_enabled': True})['ssh_password_enabled']
    pw, code = box.host.root_password, pyotp.TOTP(secret).now()
    assert box.ssh_password_login('root', pw, wrong_code(code)) is False
    assert box.ssh_password_login('root', pw, code) is True
    assert box.ssh('true').returncode == 0                              # Ansible's key still works


def test_2504_refuses_password_ssh_for_a_user_without_secret(boxes):
    box = boxes['25.04']
    box.call('auth.twofactor.update', {'enabled': True, 'services': {'ssh': True}})
    admin = box.call('user.query', [['username', '=', 'admin']], {'get': True})
    r = box.midclt('user.update', admin['id'], {'ssh_password_enabled': True})   # brief 3.2
    assert r.returncode == 1 and 'explicitly configured' in r.stderr


def test_service_control_job_on_2510(boxes):
    box = boxes['25.10']
    jid = box.call('service.control', 'RELOAD', 'ssh', {'ha_propagate': True})
    assert isinstance(jid, int)
    assert box.call('service.control', 'RESTART', 'ssh', {}, job=True) is True   # brief 4: job -> bool
    assert box.call('core.get_jobs', [['id', '=', jid]], {'get': True})['state'] == 'SUCCESS'
    assert box.ssh('systemctl is-active ssh').stdout.strip() == 'active'
