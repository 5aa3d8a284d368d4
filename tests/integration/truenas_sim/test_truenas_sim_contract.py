"""Contract of the TrueNAS simulator, one lab host per profile: each test pins a behaviour that the
middleware's source shows for that version, on the running box (``mw:`` =
src/middlewared/middlewared/ of github.com/truenas/middleware at the version's branch).

This module also collects the contract modules beside it (protocol, auth, accounts, clients: the
imports below), so that one lab of all profiles serves them all.
"""
import base64
import uuid

import pyotp
import pytest

from conftest import PROFILES, wrong_code
from contract_accounts import (  # noqa: F401 pylint: disable=unused-import
    test_a_created_admin_logs_in_gets_a_secret_and_is_deleted, test_audit_records_two_factor_logins_from_2504,
    test_groups_and_privileges_grant_the_api, test_harness_plugin_pool_and_home_dataset)
from contract_clients import (  # noqa: F401 pylint: disable=unused-import
    test_aiotruenas_client_drives_the_legacy_websocket, test_pytruenas_drives_the_box)
from contract_auth import (  # noqa: F401 pylint: disable=unused-import
    test_26_wrong_code_ends_the_attempt_and_a_replayed_code_is_refused,
    test_api_key_over_plain_ws_is_revoked_and_over_wss_works, test_auth_login_with_otp_up_to_2410,
    test_get_login_user_is_private_and_answers_as_its_version,
    test_level_2_wants_password_and_code_and_2fa_off_forces_level_1,
    test_login_ex_three_more_tries_then_auth_err_and_a_reused_code_accepted, test_mechanism_choices_in_the_real_order,
    test_onetime_password_logs_in_once, test_password_ssh_for_a_user_without_secret_refused_while_ssh_2fa_is_on,
    test_rate_limit_of_unauthenticated_calls_and_its_cache_clear)
from contract_protocol import (  # noqa: F401 pylint: disable=unused-import
    test_http_basic_auth_refused_while_2fa_is_on, test_jsonrpc_errors_in_the_real_shape,
    test_legacy_handshake_ping_and_refusals_in_the_eras_shape, test_legacy_sub_is_ready_after_login,
    test_legacy_validation_errors_are_eagain_with_type_validation, test_set_options_answer_and_private_methods_run,
    test_subscriber_gets_job_events_and_the_result_of_a_new_style_job)

PREFIX = {'13.0': 'TrueNAS-13.0-', '22.12': 'TrueNAS-SCALE-22.12', '23.10': 'TrueNAS-SCALE-23.10',
          '24.10': 'TrueNAS-SCALE-24.10', '25.04': 'TrueNAS-25.04', '25.10': 'TrueNAS-25.10', '26.0': 'TrueNAS-26.0'}


@pytest.mark.parametrize('version', PROFILES)
def test_midclt_answers_with_the_version_and_its_config_fields(boxes, version):
    box = boxes[version]
    assert box.call('system.version').startswith(PREFIX[version])
    cfg = box.call('auth.twofactor.config')
    assert ('secret' in cfg) == (box.rank <= 1)                        # global secret on CORE and 22.12
    assert ('otp_digits' in cfg and 'interval' in cfg) == (box.rank <= 2)
    root = box.call('user.query', [['username', '=', 'root']], {'get': True})
    assert ('twofactor_auth_configured' in root) == (box.rank >= 2)
    assert ('rootlogin' in box.call('ssh.config')) == (box.rank <= 1)


def test_midclt_error_goes_to_stderr_with_a_nonzero_exit(boxes):
    # the official CLI prints a validation error as "[EINVAL] attribute: message" (exc.py:88-109)
    r = boxes['24.10'].midclt('auth.twofactor.update', {'otp_digits': 6})
    assert r.returncode == 1 and r.stdout == ''
    assert r.stderr.splitlines()[0] == '[EINVAL] auth_twofactor_update.otp_digits: Extra inputs are not permitted'
    r = boxes['25.10'].midclt('no.such')
    assert r.returncode == 1 and r.stderr.strip() == 'Method does not exist'


@pytest.mark.parametrize('version', PROFILES)
def test_public_methods_by_version(boxes, version):
    box = boxes[version]
    m = box.call('core.get_methods')        # public methods only (mw:service/core_service.py:247-382)
    r = box.rank
    assert ('auth.twofactor.renew_secret' in m) == (r <= 1)
    assert ('user.renew_2fa_secret' in m) == (r >= 2)
    assert ('auth.me' in m) == (r >= 1)
    assert ('auth.login_ex' in m) == (r >= 4)
    assert ('auth.two_factor_auth' in m) == (r <= 3)
    assert ('service.control' in m) == (r >= 5)
    assert m['auth.login']['no_auth_required'] is True and m['auth.twofactor.config']['no_auth_required'] is False
    if r >= 2:
        assert ('user.provisioning_uri' in m) == (r <= 3)                 # private from 25.04
    assert ('service.restart' in m) == (r <= 5)                           # private on 26
    assert 'datastore.query' not in m


@pytest.mark.parametrize('version', ['25.04', '25.10', '26.0'])
def test_versioned_endpoints_and_port_80(boxes, version):
    box = boxes[version]
    for path in ('/api/current', '/api/v25.04.0', '/api/v24.10'):
        rpc = box.ws(path)
        assert rpc.call('core.ping') == 'pong'
        rpc.close()
    assert box.ws('/api/current', tls=False).call('core.ping') == 'pong'
    status, text = box.http('GET', '/api/versions')
    assert status == 200 and ('"v24.10"' in text) == (box.rank == 4)     # goldeye mw:main.py:1302-1306


def test_global_api_key_up_to_2410_over_legacy_websocket(boxes):
    box = boxes['24.10']
    key = box.call('api_key.create', {'name': 'contract-%s' % uuid.uuid4()})['key']
    rpc = box.ws('/websocket')
    assert rpc.call('auth.login_with_api_key', key + 'x') is False
    assert rpc.call('auth.login_with_api_key', key) is True
    assert rpc.call('auth.twofactor.config')['id'] == 1
    rpc.close()


@pytest.mark.parametrize('version', ['25.04', '26.0'])
def test_user_bound_api_key_and_private_methods_over_jsonrpc(boxes, version):
    box = boxes[version]
    key = box.call('api_key.create', {'name': 'contract-%s' % uuid.uuid4(), 'username': 'root'})['key']
    kid, secret = key.split('-', 1)
    assert kid.isdigit() and len(secret) == 64 and secret.isalnum()      # generate_string(string_size=64)
    rpc = box.ws('/api/current')
    bad = rpc.call('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'admin', 'api_key': key})
    assert bad['response_type'] == 'AUTH_ERR'
    ok = rpc.call('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'root', 'api_key': key})
    assert ok['response_type'] == 'SUCCESS' and ok['user_info']['pw_name'] == 'root'
    assert rpc.call('user.twofactor_config', 'root')['otp_digits'] == 6   # private, and it runs
    if box.rank >= 6:
        assert rpc.call('service.restart', 'ssh') is True                  # private on 26, callable
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


@pytest.mark.parametrize('version', PROFILES)
def test_ssh_2fa_side_effects_on_the_hosts_real_files(boxes, version):
    box = boxes[version]
    with box.two_factor(ssh=True) as secret:
        path = '/usr/local/etc/users.oath' if box.rank == 0 else '/etc/users.oath'
        hexsecret = base64.b16encode(base64.b32decode(secret)).decode()
        assert ('HOTP/T30/6\troot\t-\t%s\n' % hexsecret) in box.read(path)
        assert box.ssh('stat -c %a ' + path).stdout.strip() == '600'
        pam = box.read('/etc/pam.d/sshd').splitlines()
        assert pam[pam.index('@include common-auth') + 1] == 'auth required pam_oath.so usersfile=%s window=1' % path
        cfg = box.read('/etc/ssh/sshd_config').splitlines()
        assert 'PubkeyAuthentication yes' in cfg and 'UsePAM yes' in cfg
        assert ('ChallengeResponseAuthentication yes' in cfg) == (box.rank <= 3)
        assert 'ChallengeResponseAuthentication no' not in cfg
        assert box.ssh('sshd -t').returncode == 0
        if box.rank >= 6:
            assert 'user_unknown=ignore default=die] pam_oath.so' in box.read('/etc/pam.d/truenas')


@pytest.mark.parametrize('version', ['13.0', '25.10'])
def test_real_ssh_login_with_password_and_code(boxes, version):
    box = boxes[version]
    with box.two_factor(ssh=True) as secret:
        if box.rank <= 1:
            box.call('ssh.update', {'rootlogin': True, 'passwordauth': True})   # CORE rootlogin
        else:
            box.call('ssh.update', {'passwordauth': True})
            assert box.call('user.update', 1, {'ssh_password_enabled': True})['ssh_password_enabled']
        code = pyotp.TOTP(secret).now()
        assert box.ssh_password_login('root', box.password, wrong_code(code)) is False
        assert box.ssh_password_login('root', box.password, code) is True
        assert box.ssh('true').returncode == 0                              # Ansible's key still works


def test_service_control_job_on_2510(boxes):
    box = boxes['25.10']
    jid = box.call('service.control', 'RELOAD', 'ssh', {'ha_propagate': True})
    assert isinstance(jid, int)
    assert box.call('service.control', 'RESTART', 'ssh', {}, job=True) is True   # the job's result: bool
    assert box.call('core.get_jobs', [['id', '=', jid]], {'get': True})['state'] == 'SUCCESS'
    assert box.ssh('systemctl is-active ssh').stdout.strip() == 'active'
