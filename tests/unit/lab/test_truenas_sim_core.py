"""The TrueNAS simulator's core against a temp filesystem root: version profiles, method presence
and privacy, 2FA state rules and the etc files each version renders."""
import os
import subprocess
import sys
import types

import pyotp
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'lab', 'truenas'))

import truenas_sim  # noqa: E402
from truenas_sim.errors import CallError, MethodNotFound, NotAuthenticated, ValidationErrors  # noqa: E402
from truenas_sim.middleware import Middleware  # noqa: E402
from truenas_sim.profiles import UnknownVersion, get_profile  # noqa: E402
from truenas_sim.session import Origin, Session  # noqa: E402

truenas_sim.load_methods()
PROFILES = ['13.0', '22.12', '23.10', '24.10', '25.04', '25.10', '26.0']
PASSWORD = 'Sim-Pw1'
HASH = subprocess.run(['openssl', 'passwd', '-6', PASSWORD], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def box(tmp_path):
    def make(version):
        root = tmp_path / version
        (root / 'etc' / 'pam.d').mkdir(parents=True)
        (root / 'etc' / 'passwd').write_text('root:x:0:0:root:/root:/bin/bash\n')
        (root / 'etc' / 'shadow').write_text('root:%s:19000:0:99999:7:::\n' % HASH)
        (root / 'etc' / 'hostname').write_text('nas01\n')
        (root / 'etc' / 'pam.d' / 'sshd').write_text('@include common-auth\naccount required pam_nologin.so\n')
        runs = []
        mw = Middleware(str(root), get_profile(version),
                        runner=lambda cmd: (runs.append(cmd), types.SimpleNamespace(returncode=0, stderr=''))[1])
        mw.first_start()
        mw.runs = runs
        mw.sess = Session(local_uid=0)
        mw.c = lambda name, *args: mw.call(mw.sess, name, list(args))
        mw.read = lambda p: (root / p.lstrip('/')).read_text() if (root / p.lstrip('/')).exists() else None
        return mw
    return make


def secret_of(mw, user='root'):
    if mw.profile.global_secret:
        return mw.c('auth.twofactor.config')['secret']
    return mw.state.get_user(user)['secret']


def test_unknown_version_is_refused_with_the_known_list():
    with pytest.raises(UnknownVersion, match='13.0, 13.3, 22.12'):
        get_profile('21.1')


@pytest.mark.parametrize('asked,profile', [('13.3', '13.0'), ('24.04', '24.10')])
def test_aliases_share_a_profile_but_keep_their_version_string(asked, profile):
    p = get_profile(asked)
    assert p.profile == profile and asked in p.version_string


@pytest.mark.parametrize('version', PROFILES)
def test_method_presence_per_version(box, version):
    mw = box(version)
    public = mw.c('core.get_methods')
    r = PROFILES.index(version)

    def exists(name):
        try:
            mw.lookup(name)
            return True
        except MethodNotFound:
            return False
    assert exists('auth.twofactor.renew_secret') == (r <= 1)
    assert exists('user.renew_2fa_secret') == (r >= 2)
    assert exists('auth.me') == (r >= 1)
    assert exists('auth.login_ex') == (r >= 4)
    assert exists('auth.two_factor_auth') == (r <= 3)
    assert exists('service.control') == (r >= 5)
    if r >= 2:
        # private methods exist but core.get_methods leaves them out
        assert exists('user.provisioning_uri') and ('user.provisioning_uri' in public) == (r < 4)
    assert ('service.restart' in public) == (r < 6)


@pytest.mark.parametrize('version', ['25.04', '26.0'])
def test_private_methods_run_for_a_network_full_admin(box, version):
    mw = box(version)
    mw.c('auth.twofactor.update', {'enabled': True})
    mw.c('user.renew_2fa_secret', 'root', {})
    net = Session()
    net.login('root', 'api_key')
    assert mw.call(net, 'user.provisioning_uri', ['root']).startswith('otpauth://')


def test_unknown_method_names_its_service_or_the_method(box):
    mw = box('24.10')
    with pytest.raises(MethodNotFound, match="Service 'nosuch' not found"):
        mw.c('nosuch.thing')
    with pytest.raises(MethodNotFound, match="Method 'nosuch' not found in 'auth'") as e:
        mw.c('auth.nosuch')
    assert e.value.errno == 201


def test_unauthenticated_network_calls_are_refused_but_ping_is_not(box):
    mw = box('24.10')
    with pytest.raises(NotAuthenticated):
        mw.call(Session(), 'auth.twofactor.config', [])
    assert mw.call(Session(), 'core.ping', []) == 'pong'


def test_global_secret_era_makes_the_secret_on_first_enable_and_returns_it(box):
    mw = box('22.12')
    assert mw.c('auth.twofactor.config')['secret'] is None
    cfg = mw.c('auth.twofactor.update', {'enabled': True, 'services': {'ssh': True}})
    assert len(cfg['secret']) == 32
    assert mw.c('auth.twofactor.verify', pyotp.TOTP(cfg['secret']).now()) is True
    assert mw.c('auth.twofactor.provisioning_uri').startswith('otpauth://totp/iXsystems:nas01%40TrueNAS-SCALE')


def test_verify_needs_2fa_enabled_on_core(box):
    mw = box('13.0')
    with pytest.raises(CallError, match='Please enable Two Factor Authentication first.'):
        mw.c('auth.twofactor.verify', '123456')


def test_2310_changing_digits_wipes_every_user_secret(box):
    mw = box('23.10')
    mw.c('auth.twofactor.update', {'enabled': True})
    mw.c('user.renew_2fa_secret', 'root')
    mw.c('user.renew_2fa_secret', 'admin')
    mw.c('auth.twofactor.update', {'otp_digits': 8})
    assert [u['twofactor_auth_configured'] for u in mw.c('user.query')] == [False, False]


@pytest.mark.parametrize('version', ['24.10', '25.04', '25.10', '26.0'])
def test_2404_and_later_refuse_global_digits_as_a_schema_error(box, version):
    mw = box(version)
    with pytest.raises(ValidationErrors) as e:
        mw.c('auth.twofactor.update', {'otp_digits': 6})
    assert e.value.extra == [['auth_twofactor_update.otp_digits', 'Extra inputs are not permitted', 22]]


@pytest.mark.parametrize('version', ['23.10', '25.10'])
def test_update_that_changes_nothing_writes_nothing(box, version):
    mw = box(version)
    mw.c('auth.twofactor.update', {'enabled': True})
    before = len(mw.runs)
    mw.c('auth.twofactor.update', {'enabled': True})
    assert len(mw.runs) == before


def test_renew_returns_the_uri_from_2504_only(box):
    old, new = box('24.10'), box('25.04')
    assert 'twofactor_config' not in old.c('user.renew_2fa_secret', 'root', {'interval': 30})
    r = new.c('user.renew_2fa_secret', 'root', {'interval': 60, 'otp_digits': 8})
    assert r['twofactor_config']['secret_configured'] is True
    assert 'period=60' in r['twofactor_config']['provisioning_uri'] and 'digits=8' in r['twofactor_config']['provisioning_uri']


def test_2310_renew_takes_the_username_only(box):
    with pytest.raises(ValidationErrors):
        box('23.10').c('user.renew_2fa_secret', 'root', {'interval': 30})


@pytest.mark.parametrize('version,interval,ok', [('25.10', 45, True), ('26.0', 45, False), ('26.0', 60, True)])
def test_interval_rules(box, version, interval, ok):
    mw = box(version)
    if ok:
        mw.c('user.renew_2fa_secret', 'root', {'interval': interval})
    else:
        with pytest.raises(ValidationErrors):
            mw.c('user.renew_2fa_secret', 'root', {'interval': interval})


@pytest.mark.parametrize('version,refused', [('23.10', True), ('25.04', True), ('25.10', False)])
def test_unset_needs_2fa_off_until_2510(box, version, refused):
    mw = box(version)
    mw.c('auth.twofactor.update', {'enabled': True})
    mw.c('user.renew_2fa_secret', 'root')
    if refused:
        with pytest.raises(CallError, match='disable Two Factor'):
            mw.c('user.unset_2fa_secret', 'root')
    else:
        assert mw.c('user.unset_2fa_secret', 'root') is None
        assert mw.read('/etc/users.oath') == ''  # regenerated on unset from 25.10


def test_2504_refuses_ssh_password_for_a_user_without_secret_while_ssh_2fa_is_on(box):
    mw = box('25.04')
    mw.c('auth.twofactor.update', {'enabled': True, 'services': {'ssh': True}})
    with pytest.raises(ValidationErrors, match='explicitly configured'):
        mw.c('user.update', 2, {'ssh_password_enabled': True})


@pytest.mark.parametrize('version,path,written_without_ssh', [
    ('13.0', '/usr/local/etc/users.oath', False), ('22.12', '/etc/users.oath', False),
    ('24.10', '/etc/users.oath', False), ('25.04', '/etc/users.oath', True)])
def test_users_oath_when_and_where(box, version, path, written_without_ssh):
    mw = box(version)
    mw.c('auth.twofactor.update', {'enabled': True})
    if not mw.profile.global_secret:
        mw.c('user.renew_2fa_secret', 'root')
    assert (mw.read(path) is not None) == written_without_ssh
    mw.c('auth.twofactor.update', {'services': {'ssh': True}})
    hexsecret = __import__('base64').b16encode(__import__('base64').b32decode(secret_of(mw))).decode()
    assert mw.read(path) == 'HOTP/T30/6\troot\t-\t%s\n' % hexsecret
    assert os.stat(mw.path(path)).st_mode & 0o777 == 0o600


def test_pam_and_sshd_config_with_ssh_2fa_on_2510(box):
    mw = box('25.10')
    mw.c('auth.twofactor.update', {'enabled': True, 'window': 2})
    mw.c('user.renew_2fa_secret', 'root')
    mw.c('user.update', 1, {'ssh_password_enabled': True})
    mw.c('ssh.update', {'passwordauth': True, 'options': 'ClientAliveInterval 30'})
    mw.c('auth.twofactor.update', {'services': {'ssh': True}})
    pam = mw.read('/etc/pam.d/sshd').splitlines()
    assert pam[pam.index('@include common-auth') + 1] == 'auth required pam_oath.so usersfile=/etc/users.oath window=2'
    cfg = mw.read('/etc/ssh/sshd_config')
    assert 'ChallengeResponseAuthentication no' not in cfg and 'UsePAM yes' in cfg
    assert 'PubkeyAuthentication yes' in cfg and 'PermitRootLogin yes' in cfg
    assert cfg.rstrip().endswith('Match User "root"\n\tPasswordAuthentication yes\n\tChallengeResponseAuthentication yes\nClientAliveInterval 30')
    assert ['systemctl', 'reload', 'ssh'] in mw.runs


def test_core_rootlogin_and_challenge_response(box):
    mw = box('13.0')
    mw.c('ssh.update', {'rootlogin': True, 'passwordauth': True})
    cfg = mw.read('/etc/ssh/sshd_config')
    assert 'PermitRootLogin yes' in cfg and 'ChallengeResponseAuthentication no' in cfg
    mw.c('auth.twofactor.update', {'enabled': True, 'services': {'ssh': True}})
    assert mw.read('/etc/ssh/sshd_config').rstrip().endswith('UsePAM yes\nChallengeResponseAuthentication yes')
    with pytest.raises(ValidationErrors):
        box('23.10').c('ssh.update', {'rootlogin': True})


def test_pam_truenas_only_on_26(box):
    assert box('25.10').read('/etc/pam.d/truenas') is None
    mw = box('26.0')
    mw.c('auth.twofactor.update', {'enabled': True, 'window': 1})
    assert ('auth [success=ok user_unknown=ignore default=die] pam_oath.so usersfile=/etc/users.oath window=1'
            in mw.read('/etc/pam.d/truenas'))


@pytest.mark.parametrize('version', ['13.0', '23.10', '24.10'])
def test_auth_login_with_otp_up_to_2410(box, version):
    mw = box(version)
    mw.c('auth.twofactor.update', {'enabled': True})
    if not mw.profile.global_secret:
        mw.c('user.renew_2fa_secret', 'root')
    code = pyotp.TOTP(secret_of(mw)).now()
    assert mw.call(Session(), 'auth.login', ['root', PASSWORD]) is False
    assert mw.call(Session(), 'auth.login', ['root', PASSWORD, '000000' if code != '000000' else '111111']) is False
    assert mw.call(Session(), 'auth.login', ['root', 'wrong', code]) is False
    assert mw.call(Session(), 'auth.login', ['root', PASSWORD, code]) is True


def test_2504_login_ex_three_retries_and_reused_code_accepted(box):
    mw = box('25.04')
    mw.c('auth.twofactor.update', {'enabled': True})
    mw.c('user.renew_2fa_secret', 'root', {})
    code = pyotp.TOTP(secret_of(mw)).now()
    wrong = '000000' if code != '000000' else '111111'
    s = Session()

    def step(token):
        return mw.call(s, 'auth.login_ex_continue', [{'mechanism': 'OTP_TOKEN', 'otp_token': token}])['response_type']

    with pytest.raises(CallError):
        step(code)  # nothing asked yet: EINVAL
    login = {'mechanism': 'PASSWORD_PLAIN', 'username': 'root', 'password': PASSWORD}
    assert mw.call(s, 'auth.login_ex', [login]) == {'response_type': 'OTP_REQUIRED', 'username': 'root'}
    # MAX_OTP_ATTEMPTS = 3, counted from 0: three more chances, the fourth wrong code ends it
    assert [step(wrong) for _try in range(4)] == ['OTP_REQUIRED', 'OTP_REQUIRED', 'OTP_REQUIRED', 'AUTH_ERR']
    for _attempt in range(2):  # the same code twice: pyotp keeps no replay state
        mw.call(s, 'auth.login_ex', [login])
        assert step(code) == 'SUCCESS'


def test_api_keys_by_generation(box):
    old, new = box('24.10'), box('25.10')
    k = old.c('api_key.create', {'name': 'ansible'})
    assert k['key'].startswith('%d-' % k['id']) and 'username' not in k
    assert old.call(Session(), 'auth.login_with_api_key', [k['key']]) is True
    assert old.call(Session(), 'auth.login_with_api_key', [k['key'] + 'x']) is False
    with pytest.raises(ValidationErrors):
        new.c('api_key.create', {'name': 'ansible'})
    k = new.c('api_key.create', {'name': 'ansible', 'username': 'root'})
    s = Session(Origin('tcp', address='127.0.0.1'))   # loopback counts as a secure transport
    r = new.call(s, 'auth.login_ex', [{'mechanism': 'API_KEY_PLAIN', 'username': 'root', 'api_key': k['key']}])
    assert r['response_type'] == 'SUCCESS' and s.authenticated


def test_2504_revokes_an_api_key_sent_over_plain_ws_from_another_host(box):
    mw = box('25.04')
    k = mw.c('api_key.create', {'name': 'ansible', 'username': 'root'})
    login = {'mechanism': 'API_KEY_PLAIN', 'username': 'root', 'api_key': k['key']}
    insecure = Session(Origin('tcp', address='10.99.0.7'))
    assert mw.call(insecure, 'auth.login_ex', [login]) == {'response_type': 'EXPIRED'}
    assert not insecure.authenticated
    assert mw.c('api_key.query', [['id', '=', k['id']]], {'get': True})['revoked'] is True
    tls = Session(Origin('tcp', address='10.99.0.7', tls=True))
    assert mw.call(tls, 'auth.login_ex', [login]) == {'response_type': 'EXPIRED'}   # revoked for good


def test_service_control_is_a_job_returning_bool(box):
    mw = box('25.10')
    jid = mw.c('service.control', 'RESTART', 'ssh', {'ha_propagate': True})
    job = mw.c('core.get_jobs', [['id', '=', jid]], {'get': True})
    assert job['state'] == 'SUCCESS' and job['result'] is True
    assert ['systemctl', 'restart', 'ssh'] in mw.runs


def test_admin_exists_on_scale_only(box):
    assert [u['username'] for u in box('22.12').c('user.query')] == ['root', 'admin']
    assert [u['username'] for u in box('13.0').c('user.query')] == ['root']
