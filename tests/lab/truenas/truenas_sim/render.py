# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Etc files the middleware writes, rendered into the host's real /etc (mw:etc_files/local/users.oath(.mako),
mw:etc_files/pam.d/, mw:etc_files/local/ssh/sshd_config(.mako))."""
import base64
import os

PAM_SSHD_ORIG = '/var/db/truenas-sim/pam.d-sshd.orig'
# [sim] Debian's module path is used on every profile: CORE's /usr/local/lib/security/pam_oath.so
# (mw:etc_files/pam.d/sshd (CORE), pam.d/sshd_linux.mako) does not exist on the lab's Debian image.
PAM_OATH = 'pam_oath.so'


def oath_hex(secret):
    # mw:etc_files/local/users.oath(.mako): base64.b16encode(base64.b32decode(secret))
    return base64.b16encode(base64.b32decode(secret + '=' * (-len(secret) % 8))).decode()


def _params(profile, tf, user):
    """(digits, interval) for a user: global up to 23.10, per user from 24.04 (mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py)."""
    if profile.global_digits:
        digits, interval = tf['otp_digits'], tf['interval']
    else:
        digits, interval = user['otp_digits'], user['interval']
    if profile.interval_choices and interval not in profile.interval_choices:
        interval = 30  # stable/26: bad rows are coerced to 30 when rendered (2c56946d6a)
    return digits, interval


def users_oath(profile, tf, users):
    """Text of users.oath, or None when the file must not exist (mw:etc_files/local/users.oath(.mako) table)."""
    wanted = tf['enabled'] and (profile.oath_when_enabled or tf['services'].get('ssh'))
    if not wanted:
        return None  # "else file removed" (23.10-24.10); other eras do the same [sim]
    lines = []
    if profile.global_secret:
        if tf.get('secret'):  # root only, global secret (mw:etc_files/local/users.oath(.mako) "Users listed")
            lines.append('HOTP/T%d/%d\troot\t-\t%s' % (tf['interval'], tf['otp_digits'], oath_hex(tf['secret'])))
    else:
        for u in users:  # every user with a non-NULL secret
            if u.get('secret'):
                d, i = _params(profile, tf, u)
                lines.append('HOTP/T%d/%d\t%s\t-\t%s' % (i, d, u['username'], oath_hex(u['secret'])))
    return ''.join(line + '\n' for line in lines)


def pam_sshd(profile, tf, original):
    """mw:etc_files/pam.d/sshd (CORE), pam.d/sshd_linux.mako: the pam_oath line right after the password stack (CORE: after pam_unix, which
    Debian keeps in common-auth; SCALE: after `@include common-auth`), control `required`, no
    user_unknown=ignore, only when enabled and ssh."""
    out = ['# Rendered by the TrueNAS simulator (profile %s); mw:etc_files/pam.d/sshd (CORE), pam.d/sshd_linux.mako.' % profile.profile]
    for line in original.splitlines():
        if 'pam_oath' in line:
            continue
        out.append(line)
        if line.strip() == '@include common-auth' and tf['enabled'] and tf['services'].get('ssh'):
            out.append('auth required %s usersfile=%s window=%d' % (PAM_OATH, profile.oath_path, tf['window']))
    return '\n'.join(out) + '\n'


def pam_truenas(profile, tf):
    """26+: /etc/pam.d/truenas, the middleware's own login stack (stable/26 mw:etc_files/pam.d/truenas.mako for the pam_oath
    line; the password and account lines around it are [sim])."""
    out = ['# Rendered by the TrueNAS simulator (profile %s); stable/26 mw:etc_files/pam.d/truenas.mako.' % profile.profile,
           '@include common-auth']
    if tf['enabled']:
        out.append('auth [success=ok user_unknown=ignore default=die] %s usersfile=%s window=%d'
                   % (PAM_OATH, profile.oath_path, tf['window']))
    out += ['@include common-account', '']
    return '\n'.join(out)


def _lab_base(ssh):
    # Lab and Debian bits the real template has in its own form (mw:etc_files/local/ssh/sshd_config(.mako) says PubkeyAuthentication
    # yes is always set); host keys, sftp path and AcceptEnv are Debian's [sim].
    return ['Port %d' % ssh['tcpport'],
            'HostKey /etc/ssh/ssh_host_rsa_key', 'HostKey /etc/ssh/ssh_host_ecdsa_key',
            'HostKey /etc/ssh/ssh_host_ed25519_key',
            'PubkeyAuthentication yes', 'AuthorizedKeysFile .ssh/authorized_keys',
            'Subsystem sftp /usr/lib/openssh/sftp-server', 'AcceptEnv LANG LC_*',
            'AllowTcpForwarding %s' % ('yes' if ssh['tcpfwd'] else 'no'),
            'Compression %s' % ('delayed' if ssh['compression'] else 'no')]


def _options(ssh):
    return [line for line in ssh.get('options', '').splitlines() if line.strip()]


def sshd_config(profile, tf, ssh, users):
    ssh2fa = bool(tf['enabled'] and tf['services'].get('ssh'))
    out = ['# Rendered by the TrueNAS simulator (profile %s, sshd era %s); mw:etc_files/local/ssh/sshd_config(.mako).'
           % (profile.profile, profile.sshd_era)]
    out += _lab_base(ssh)
    era = profile.sshd_era
    if era == 'core':
        # CORE 13 / 22.12: rootlogin, passwordauth; UsePAM/ChallengeResponse appended after the
        # user options when SSH 2FA is on, default "ChallengeResponseAuthentication no" otherwise.
        out.append('PermitRootLogin %s' % ('yes' if ssh.get('rootlogin') else 'without-password'))
        out.append('PasswordAuthentication %s' % ('yes' if ssh['passwordauth'] else 'no'))
        if not ssh2fa:
            out.append('ChallengeResponseAuthentication no')
        out += _options(ssh)
        if ssh2fa:
            out += ['UsePAM yes', 'ChallengeResponseAuthentication yes']
        if profile.ssh_adminlogin and not ssh.get('adminlogin'):
            # 22.12; its place at the very end is [sim] (a Match block must close the file)
            out += ['Match User admin', '\tPasswordAuthentication no']
        return '\n'.join(out) + '\n'
    root = next((u for u in users if u['username'] == 'root'), {})
    out.append('PermitRootLogin %s' % ('yes' if root.get('ssh_password_enabled') else 'without-password'))
    out.append('PasswordAuthentication no')  # global no, Match blocks open it (23.10+)
    matches = []
    if ssh['passwordauth']:
        # Match User per ssh_password_enabled user, Match Group per password_login_groups; 25.04+
        # adds ChallengeResponseAuthentication yes to each block.
        extra = ['\tChallengeResponseAuthentication yes'] if era == 'fangtooth' else []
        for u in users:
            if u.get('ssh_password_enabled'):
                matches += ['Match User "%s"' % u['username'], '\tPasswordAuthentication yes'] + extra
        for g in ssh.get('password_login_groups') or []:
            matches += ['Match Group "%s"' % g, '\tPasswordAuthentication yes'] + extra
    if era == 'cobia':
        # 23.10-24.10: with SSH 2FA, UsePAM yes + ChallengeResponseAuthentication yes + PrintMotd no.
        # Without it: "ChallengeResponseAuthentication no" and no UsePAM line [sim].
        out += (['UsePAM yes', 'ChallengeResponseAuthentication yes', 'PrintMotd no'] if ssh2fa
                else ['ChallengeResponseAuthentication no'])
        out += _options(ssh)  # options before the Match blocks [sim]
        out += matches
    else:
        # 25.04+: UsePAM yes always; global ChallengeResponseAuthentication no unless SSH 2FA;
        # user options last.
        out.append('UsePAM yes')
        if not ssh2fa:
            out.append('ChallengeResponseAuthentication no')
        out += matches
        out += _options(ssh)
    return '\n'.join(out) + '\n'


def write_if_changed(path, text, mode=0o644):
    """Write `text` (None = remove) when it differs; True when something changed on disk."""
    if text is None:
        if os.path.exists(path):
            os.unlink(path)
            return True
        return False
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = '%s.sim-%d' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True
