"""The wire, as clients written for real boxes meet it first (issue 15, facts 1-5): handshake,
errors in their real shapes, core.set_options, core.subscribe and job events, private methods,
HTTP Basic refused while 2FA is on; midclt, the public methods of each version and the versioned
endpoints (``mw:`` = src/middlewared/middlewared/ of github.com/truenas/middleware at the version's
branch)."""
import json
import uuid

import pytest
import websocket

from conftest import JSONRPC, LEGACY_ONLY, PROFILES, SCALE

LAB_PROFILES = PROFILES


@pytest.mark.parametrize('version', PROFILES)
def test_legacy_handshake_ping_and_refusals_in_the_eras_shape(boxes, version):
    box = boxes[version]
    rpc = box.ws('/websocket')
    assert rpc.connected['msg'] == 'connected' and rpc.connected['session']
    err = rpc.error('system.info')
    if box.rank == 0:      # truenas/13.0-stable mw:main.py:263-265: EACCES, no errname
        assert err['error'] == 13 and 'errname' not in err and err['reason'] == 'Not authenticated'
    elif box.rank <= 3:    # stable/bluefin..electriceel: ENOTAUTHENTICATED, bare reason, no trace
        assert (err['error'], err['errname'], err['reason'], err['trace']) == (
            207, 'ENOTAUTHENTICATED', 'Not authenticated', None)
    else:                  # stable/fangtooth+ mw:apps/websocket_app.py: the CallError with its trace
        assert (err['error'], err['errname'], err['reason']) == (
            207, 'ENOTAUTHENTICATED', '[ENOTAUTHENTICATED] Not authenticated')
        assert err['trace']['class'] == 'CallError'
    err = rpc.error('auth.nosuch')                       # mw:utils/service/call.py:12-34
    assert err['error'] == 201 and err['reason'] == "[ENOMETHOD] Method 'nosuch' not found in 'auth'"
    assert rpc.error('nosuch.method')['reason'] == "[ENOMETHOD] Service 'nosuch' not found"
    rpc.send({'msg': 'ping', 'id': 'p1'})
    rpc.send({'msg': 'method', 'id': 'after-ping', 'method': 'core.ping', 'params': []})
    first = rpc.recv()
    if box.rank <= 3:
        assert first == {'msg': 'pong', 'id': 'p1'}
    else:
        assert first['id'] == 'after-ping'               # 25.04+ answers no ping (websocket_app.py)
    rpc.close()
    raw = websocket.create_connection('ws://%s/websocket' % box.host.address, timeout=30)
    raw.send('{"msg": "method", "id": "1", "method": "core.ping"}')   # before connect
    assert json.loads(raw.recv()) == {'msg': 'failed', 'version': '1'}
    raw.close()


@pytest.mark.parametrize('version', SCALE)
def test_legacy_validation_errors_are_eagain_with_type_validation(boxes, version):
    box = boxes[version]
    rpc = box.login('/websocket')
    err = rpc.error('auth.twofactor.update', {'enabled': 'yes'})
    assert (err['error'], err['errname'], err['type']) == (11, 'EAGAIN', 'VALIDATION')   # electriceel :234
    assert [e[0::2] for e in err['extra']] == [['auth_twofactor_update.enabled', 22]]
    assert err['reason'].startswith('[EINVAL] auth_twofactor_update.enabled: ') and err['reason'].endswith('\n')
    rpc.close()


@pytest.mark.parametrize('version', JSONRPC)
def test_jsonrpc_errors_in_the_real_shape(boxes, version):
    box = boxes[version]
    rpc = box.ws('/api/current')
    err = rpc.error('system.info')                      # stable/goldeye mw:main.py:911
    assert err['code'] == -32001 and err['message'] == 'Method call error'
    assert (err['data']['error'], err['data']['errname'], err['data']['reason']) == (
        207, 'ENOTAUTHENTICATED', '[ENOTAUTHENTICATED] Not authenticated')
    assert {'trace', 'extra'} <= set(err['data'])
    assert rpc.error('auth.nosuch') == {'code': -32601, 'message': 'Method does not exist'}   # rpc.py:321
    rpc.send('{not json')
    assert rpc.recv()['error']['code'] == -32700
    rpc.send({'id': 7, 'method': 'core.ping'})
    assert rpc.recv() == {'jsonrpc': '2.0', 'error': {'code': -32600, 'message': "Missing 'jsonrpc' member"}, 'id': 7}
    assert rpc.call('auth.login', 'root', box.password) is True
    err = rpc.error('auth.twofactor.update', {'otp_digits': 6})                               # rpc.py:366-373
    assert err['code'] == -32602 and err['message'] == 'Invalid params'
    assert (err['data']['error'], err['data']['errname']) == (22, 'EINVAL')
    assert err['data']['extra'] == [['auth_twofactor_update.otp_digits', 'Extra inputs are not permitted', 22]]
    err = rpc.error('user.get_instance', 99999)          # InstanceNotFound is a ValidationError: -32602
    assert err['code'] == -32602 and err['data']['extra'] == [[None, 'User 99999 does not exist', 2]]
    rpc.close()


@pytest.mark.parametrize('version', JSONRPC)
def test_set_options_answer_and_private_methods_run(boxes, version):
    box = boxes[version]
    rpc = box.ws('/api/current')
    answer = rpc.call('core.set_options', {'legacy_jobs': False, 'private_methods': False, 'py_exceptions': False})
    if box.rank >= 5:   # stable/goldeye mw:service/core_service.py:702-716
        assert answer == {'legacy_jobs': False, 'private_methods': False, 'py_exceptions': False}
    else:               # stable/fangtooth :868-870: py_exceptions only, null
        assert answer is None
    assert rpc.call('auth.login', 'root', box.password) is True
    # private methods run for such a session: a warning in the log on 25.10/26, no check on 25.04
    assert rpc.call('user.twofactor_config', 'root')['otp_digits'] == 6
    assert 'user.twofactor_config' not in rpc.call('core.get_methods', 'user')
    rpc.close()


@pytest.mark.parametrize('version', ['25.10', '26.0'])
def test_subscriber_gets_job_events_and_the_result_of_a_new_style_job(boxes, version):
    """What the official client does on 25.10+ (api_client stable/goldeye
    truenas_api_client/__init__.py:631-637, :720-740, :783-790)."""
    box = boxes[version]
    rpc = box.ws('/api/current')
    rpc.call('core.set_options', {'legacy_jobs': False, 'private_methods': False, 'py_exceptions': False})
    assert rpc.error('core.subscribe', 'core.get_jobs')['data']['error'] == 207     # silently ignored by it
    assert rpc.call('auth.login', 'root', box.password) is True
    ident = rpc.call('core.subscribe', 'core.get_jobs')
    assert str(uuid.UUID(ident)) == ident
    call_id = str(uuid.uuid4())
    reply = rpc.raw('service.control', 'RELOAD', 'ssh', {}, msg_id=call_id)
    assert reply['result'] is True                        # the job's result, not its id
    updates = [e['params'] for e in rpc.events if e.get('method') == 'collection_update']
    assert updates[0]['msg'] == 'added' and updates[0]['collection'] == 'core.get_jobs'
    assert updates[0]['fields']['message_ids'] == [call_id] and updates[0]['fields']['state'] == 'WAITING'
    assert updates[-1]['msg'] == 'changed' and updates[-1]['fields']['state'] == 'SUCCESS'
    assert {u['id'] for u in updates} == {updates[0]['fields']['id']}
    rpc.call('core.unsubscribe', ident)
    rpc.events.clear()
    rpc.call('core.set_options', {'legacy_jobs': True})
    job_id = rpc.call('service.control', 'RELOAD', 'ssh', {})
    assert isinstance(job_id, int) and not rpc.events     # legacy jobs: the id, and no events now
    rpc.close()


@pytest.mark.parametrize('version', LEGACY_ONLY)
def test_legacy_sub_is_ready_after_login(boxes, version):
    box = boxes[version]
    rpc = box.ws('/websocket')
    rpc.send({'msg': 'sub', 'id': 's1', 'name': 'core.get_jobs'})
    err = rpc.recv()['error']
    assert err['error'] == 13 and err['reason'] == ('Not authenticated' if box.rank == 0 else 'Not authorized')
    assert rpc.call('auth.login', 'root', box.password) is True
    rpc.send({'msg': 'sub', 'id': 's2', 'name': 'core.get_jobs'})
    assert rpc.recv() == {'msg': 'ready', 'subs': ['s2']}
    rpc.close()


@pytest.mark.parametrize('version', PROFILES)
def test_http_basic_auth_refused_while_2fa_is_on(boxes, version):
    """mw:restful.py (bluefin/cobia :46, electriceel :84, fangtooth :95, goldeye :98); on 26, REST
    is gone and /_upload refuses (mw:apps/file_app.py:159)."""
    box = boxes[version]
    box.enable_2fa()
    try:
        if box.rank <= 5:
            status, text = box.http('GET', '/api/v2.0/auth/twofactor', box.basic())
            assert (status, text) == (401, 'HTTP Basic Auth is unavailable when OTP is enabled')
            status, text = box.http('PUT', '/api/v2.0/auth/twofactor', box.basic(), body='{"window": 2}')
            assert status == 401
        else:
            assert box.http('GET', '/api/v2.0/auth/twofactor', box.basic())[0] == 404
            boundary = 'simboundary'
            body = ('--%s\r\nContent-Disposition: form-data; name="data"\r\n\r\n{"method": "filesystem.put", '
                    '"params": ["/tmp/x"]}\r\n--%s--\r\n' % (boundary, boundary))
            headers = dict(box.basic(), **{'Content-Type': 'multipart/form-data; boundary=' + boundary})
            assert box.http('POST', '/_upload', headers, body=body) == (
                401, 'HTTP Basic Auth is unavailable when OTP is enabled')
    finally:
        box.disable_2fa()
    if box.rank <= 5:
        status, text = box.http('GET', '/api/v2.0/auth/twofactor', box.basic())
        assert status == 200 and '"enabled": false' in text


PREFIX = {'13.0': 'TrueNAS-13.0-', '22.12': 'TrueNAS-SCALE-22.12', '23.10': 'TrueNAS-SCALE-23.10',
          '24.10': 'TrueNAS-SCALE-24.10', '25.04': 'TrueNAS-25.04', '25.10': 'TrueNAS-25.10', '26.0': 'TrueNAS-26.0'}


@pytest.mark.parametrize('version', PROFILES)
def test_midclt_answers_with_the_version_and_its_config_fields(boxes, version):
    box = boxes[version]
    # a str or an int (a bool too) printed as it is, anything else as JSON (api_client stable/goldeye
    # truenas_api_client/__init__.py:998-1090)
    assert box.midclt('system.version').stdout.startswith(PREFIX[version])
    assert box.midclt('system.ready').stdout == 'True\n'
    cfg = box.midclt_call('auth.twofactor.config')
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
    m = box.midclt_call('core.get_methods')  # public methods only (mw:service/core_service.py:247-382)
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
