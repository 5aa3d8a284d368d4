"""What 2FA does to the box's SSH, on the host's real files and with real logins: users.oath,
pam.d/sshd and sshd_config as each version renders them, a password + code login through sshd and
pam_oath, and service.control as a job (``mw:`` = src/middlewared/middlewared/ of
github.com/truenas/middleware at the version's branch)."""
import base64
import concurrent.futures

import pyotp
import pytest

from conftest import PROFILES, wrong_code

LAB_PROFILES = PROFILES


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
        # a refused login answers after PAM's fail delay: the wrong code goes on a connection of
        # its own while the right one logs in
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            wrong = pool.submit(box.ssh_password_login, 'root', box.password, wrong_code(code))
            assert box.ssh_password_login('root', box.password, code) is True
            assert wrong.result() is False
        assert box.ssh('true', fresh=True).returncode == 0                  # Ansible's key still works


def test_service_control_job_on_2510(boxes):
    box = boxes['25.10']
    jid = box.midclt_call('service.control', 'RELOAD', 'ssh', {'ha_propagate': True})
    assert isinstance(jid, int)
    assert box.midclt_call('service.control', 'RESTART', 'ssh', {}, job=True) is True   # the job's result: bool
    assert box.call('core.get_jobs', [['id', '=', jid]], {'get': True})['state'] == 'SUCCESS'
    assert box.ssh('systemctl is-active ssh').stdout.strip() == 'active'
