"""Clients that no one here wrote drive every profile, as they would drive a box:

- pytruenas (PyPI) speaks JSON-RPC on /api/current: 25.04, 25.10, 26.0;
- aiotruenas-client (PyPI) speaks the legacy DDP /websocket: 13.0, 22.12, 23.10, 24.10. It has no
  error path (invoke_method reads message["result"]), so the error shapes of the legacy socket are
  pinned by test_contract_protocol.py instead. Its protocol class leaves the login to a subclass
  (``_authenticate``, "Must call an `auth` websocket method"); the password + code login is such a
  subclass.

Root's secret is renewed in each test, so on 26 (pam_oath) its first code is taken whatever the
clock says (see test_contract_login.py).
"""
import asyncio
import threading

import pyotp
import pytest

from conftest import JSONRPC, LEGACY_ONLY, PROFILES

LAB_PROFILES = PROFILES


# pytruenas ------------------------------------------------------------------------------------
def _settle():
    """pytruenas closes a connection from its caller's thread while its reader thread may still be
    in a TLS read on that descriptor; a new connection opened at once can get the same descriptor
    number and lose its handshake to the old reader (WRONG_VERSION_NUMBER, seen now and then).
    A client-side race: wait for the readers of the closed connections to end (each ends as soon
    as close() has shut its socket down). They are found by the name Python gives a thread of a
    target, "Thread-N (_read_loop)": pytruenas names them no other way. Every pytruenas client is
    closed when this runs."""
    for thread in threading.enumerate():
        if thread.name.endswith('(_read_loop)'):
            thread.join(10)
            assert not thread.is_alive(), 'a closed pytruenas connection still reads its socket'


def _pytruenas(box, otp=None):
    _settle()
    from pytruenas import TrueNASClient
    from pytruenas.auth import BasicAuth
    client = TrueNASClient('wss://' + box.host.address, verify=False, autologin=False)
    client.login(BasicAuth('root', box.password, otp), login_ex=True)
    return client


@pytest.mark.parametrize('version', JSONRPC)
def test_pytruenas_drives_the_box(boxes, version):
    box = boxes[version]
    box.clear_rate_limit()
    try:
        _pytruenas_drive(box, version)
    finally:
        box.disable_2fa()


def _pytruenas_drive(box, version):
    from pytruenas import AuthenticationError, ClientException, TrueNASClient, ValidationErrors
    anonymous = TrueNASClient('wss://' + box.host.address, verify=False, autologin=False)
    with pytest.raises(ClientException) as e:
        anonymous.api.system.info()
    assert e.value.errno == 207 and '[ENOTAUTHENTICATED]' in e.value.error
    anonymous.close()
    client = _pytruenas(box)
    try:
        assert client.me()['pw_name'] == 'root'
        with pytest.raises(ValidationErrors) as e:
            client.api.auth.twofactor.update({'otp_digits': 6})
        assert e.value.errors == [('auth_twofactor_update.otp_digits', 'Extra inputs are not permitted', 22)]
        with pytest.raises(ClientException) as e:
            client.api.auth.nosuch()
        assert str(e.value) == 'Method does not exist'
        assert client.api.auth.twofactor.update({'enabled': True, 'window': 1})['enabled'] is True
        entry = client.api.user.renew_2fa_secret('root', {'interval': 30})
        secret = pyotp.parse_uri(entry['twofactor_config']['provisioning_uri']).secret
        user = client.api.user.create({'username': 'pyt%s' % version.replace('.', ''), 'full_name': 'Py',
                                       'group_create': True, 'password': 'Pyt-Pw-1'})
        assert client.api.user.renew_2fa_secret(user['username'], {})['twofactor_config']['secret_configured']
        assert client.api.user.delete(user['id']) == user['id']
    finally:
        client.close()
    box.clear_rate_limit()
    with pytest.raises(AuthenticationError):
        _pytruenas(box)                                     # OTP_REQUIRED and no code
    client = _pytruenas(box, otp=pyotp.TOTP(secret).now())
    try:
        assert client.api.auth.me()['two_factor_config']['secret_configured'] is True
        assert client.api.auth.twofactor.update({'enabled': False})['enabled'] is False
    finally:
        client.close()


# aiotruenas-client ----------------------------------------------------------------------------
def _otp_protocol(username, password, otp):
    from aiotruenas_client.websockets.protocol import TrueNASWebSocketClientProtocol

    class PasswordAndCode(TrueNASWebSocketClientProtocol):
        async def _authenticate(self):
            return await self.invoke_method('auth.login', [username, password, otp])
    return PasswordAndCode


async def _aio_session(box, otp=None):
    from aiotruenas_client.websockets.machine import CachingMachine
    from aiotruenas_client.websockets.protocol import truenas_password_auth_protocol_factory
    from websockets.client import connect
    uri = 'ws://%s/websocket' % box.host.address
    if otp is None:
        factory = truenas_password_auth_protocol_factory('root', box.password)
    else:
        factory = _otp_protocol('root', box.password, otp)
    machine = CachingMachine()
    machine._client = await connect(uri, create_protocol=factory)   # what CachingMachine._connect does
    return machine


async def _aio_drive(box):
    from websockets.exceptions import SecurityError
    machine = await _aio_session(box)
    c = machine._client
    cfg = await c.invoke_method('auth.twofactor.config')
    assert cfg['id'] == 1
    await c.invoke_method('auth.twofactor.update', [{'enabled': True, 'window': 1}])
    if box.rank <= 1:
        assert await c.invoke_method('auth.twofactor.renew_secret') is True
        secret = (await c.invoke_method('auth.twofactor.config'))['secret']
    else:
        args = ['root'] if box.rank == 2 else ['root', {'interval': 30}]
        await c.invoke_method('user.renew_2fa_secret', args)
        secret = (await c.invoke_method('user.provisioning_uri', ['root'])).split('secret=')[1].split('&')[0]
    name = 'aio%s' % box.version.replace('.', '')
    pk = await c.invoke_method('user.create', [{'username': name, 'full_name': 'Aio', 'group_create': True,
                                                'password': 'Aio-Pw-1'}])
    if box.rank >= 2:
        await c.invoke_method('user.renew_2fa_secret', [name] + ([{}] if box.rank >= 3 else []))
        entry = (await c.invoke_method('user.query', [[['username', '=', name]]]))[0]
        assert entry['twofactor_auth_configured'] is True
    assert await c.invoke_method('user.delete', [pk]) == pk
    queue = await c.subscribe('core.get_jobs')                    # sub -> ready
    assert queue.empty()
    await machine._client.close()

    async def refused_without_code():
        try:
            await (await _aio_session(box))._client.close()
        except SecurityError:
            return True
        return False
    # a code is needed now; a refused login answers after 1-5 s from 23.10, so the login with the
    # code runs beside it
    refused, machine = await asyncio.gather(refused_without_code(), _aio_session(box, otp=pyotp.TOTP(secret).now()))
    assert refused, 'auth.login without a code succeeded with 2FA on'
    c = machine._client
    assert (await c.invoke_method('auth.twofactor.update', [{'enabled': False}]))['enabled'] is False
    await c.close()


@pytest.mark.parametrize('version', LEGACY_ONLY)
def test_aiotruenas_client_drives_the_legacy_websocket(boxes, version):
    box = boxes[version]
    box.clear_rate_limit()
    try:
        asyncio.run(_aio_drive(box))
    finally:
        box.disable_2fa()
