# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's real accounts: password checks against /etc/shadow, the SCALE `admin` account, and
the accounts user.create / group.create add (the middleware writes them through etc.generate
user; here passwd, shadow and group are edited in place)."""
import ctypes
import ctypes.util
import hmac
import os
import secrets
import string

_libcrypt = None


def _crypt(password, setting):
    # libcrypt through ctypes: the crypt module is gone from Python 3.13 (the unit tests' venv), and
    # libxcrypt knows every hash Debian writes (yescrypt, sha512-crypt).
    global _libcrypt
    if _libcrypt is None:
        _libcrypt = ctypes.CDLL(ctypes.util.find_library('crypt') or 'libcrypt.so.1')
        _libcrypt.crypt.restype = ctypes.c_char_p
        _libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    out = _libcrypt.crypt(password.encode(), setting.encode())
    return out.decode() if out else None


def shadow_hash(root, username):
    try:
        with open(os.path.join(root, 'etc/shadow')) as f:
            for line in f:
                parts = line.rstrip('\n').split(':')
                if parts[0] == username and len(parts) > 1:
                    return parts[1]
    except FileNotFoundError:
        pass
    return None


def check_password(root, username, password):
    """True when `password` matches the user's hash in the host's /etc/shadow."""
    stored = shadow_hash(root, username)
    if not stored or stored[0] in '!*' or password is None:
        return False
    out = _crypt(password, stored)
    return bool(out) and hmac.compare_digest(out, stored)


def _append(path, line):
    with open(path, 'a') as f:
        f.write(line + '\n')


def ensure_admin(root, uid=950):
    """SCALE ships a local `admin` (the SCALE installer; the 23.10 migration alembic/versions/23.10/2023-03-24_22-57_2fa_users.py names it).
    Its uid 950 and the copy of root's password hash are [sim]: the lab knows root's password
    only, so admin gets the same one."""
    passwd = os.path.join(root, 'etc/passwd')
    if not os.path.exists(passwd):
        return False
    with open(passwd) as f:
        if any(line.split(':', 1)[0] == 'admin' for line in f):
            return False
    home = '/home/admin'
    _append(passwd, 'admin:x:%d:%d:Local Administrator:%s:/bin/bash' % (uid, uid, home))
    group = os.path.join(root, 'etc/group')
    if os.path.exists(group):
        _append(group, 'admin:x:%d:' % uid)
    shadow = os.path.join(root, 'etc/shadow')
    if os.path.exists(shadow):
        _append(shadow, 'admin:%s:19000:0:99999:7:::' % (shadow_hash(root, 'root') or '!'))
    os.makedirs(os.path.join(root, home.lstrip('/')), mode=0o700, exist_ok=True)
    try:
        os.chown(os.path.join(root, home.lstrip('/')), uid, uid)
    except PermissionError:
        pass
    return True


def sync_admin_password(root):
    """Keep admin's hash equal to root's when the lab sets root's password after first start [sim]."""
    root_hash = shadow_hash(root, 'root')
    admin_hash = shadow_hash(root, 'admin')
    if not root_hash or admin_hash is None or admin_hash == root_hash:
        return
    _rewrite(os.path.join(root, 'etc/shadow'),
             lambda fields: [fields[0], root_hash] + fields[2:] if fields[0] == 'admin' else fields)


def hash_password(password):
    """sha512-crypt, as the middleware's crypted_password writes unixhash."""
    salt = ''.join(secrets.choice(string.ascii_letters + string.digits) for _char in range(16))
    return _crypt(password, '$6$' + salt)


def _rewrite(path, edit):
    """Rewrite ``path`` line by line: edit(fields) returns the new fields, or None to drop the
    line. Mode and owner are kept; the new file replaces the old at once."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = f.read().splitlines()
    out = [':'.join(new) for new in (edit(line.split(':')) for line in lines) if new is not None]
    st = os.stat(path)
    tmp = path + '.sim'
    with open(tmp, 'w') as f:
        f.write(''.join(line + '\n' for line in out))
    os.chmod(tmp, st.st_mode & 0o7777)
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except PermissionError:
        pass
    os.replace(tmp, path)


def add_unix_user(root, username, uid, gid, gecos, home, password):
    """A passwd and shadow line (password None: locked, as password_disabled)."""
    shell = '/bin/bash' if os.path.exists(os.path.join(root, 'bin/bash')) or root == '/' else '/bin/sh'
    _append(os.path.join(root, 'etc/passwd'), '%s:x:%d:%d:%s:%s:%s' % (username, uid, gid, gecos, home, shell))
    shadow = os.path.join(root, 'etc/shadow')
    if os.path.exists(shadow):
        _append(shadow, '%s:%s:19000:0:99999:7:::' % (username, hash_password(password) if password else '!'))


def remove_unix_user(root, username):
    for name in ('etc/passwd', 'etc/shadow'):
        _rewrite(os.path.join(root, name), lambda fields: None if fields[0] == username else fields)


def set_unix_password(root, username, password):
    hashed = hash_password(password) if password else '!'
    _rewrite(os.path.join(root, 'etc/shadow'),
             lambda fields: [fields[0], hashed] + fields[2:] if fields[0] == username else fields)


def add_unix_group(root, name, gid):
    path = os.path.join(root, 'etc/group')
    if os.path.exists(path):
        with open(path) as f:
            if any(line.split(':', 1)[0] == name for line in f):
                return
        _append(path, '%s:x:%d:' % (name, gid))


def remove_unix_group(root, name):
    _rewrite(os.path.join(root, 'etc/group'), lambda fields: None if fields[0] == name else fields)


def chown(path, uid, gid):
    try:
        os.chown(path, uid, gid)
    except (PermissionError, FileNotFoundError):
        pass
