"""The host's real accounts: password checks against /etc/shadow and the SCALE `admin` account."""
import ctypes
import ctypes.util
import hmac
import os

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
    """SCALE ships a local `admin` (brief 1: "The UI accepts any user", brief 7.7 names admin).
    Its uid 950 and the copy of root's password hash are [I-sim]: the lab knows root's password
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
    """Keep admin's hash equal to root's when the lab sets root's password after first start [I-sim]."""
    shadow = os.path.join(root, 'etc/shadow')
    root_hash = shadow_hash(root, 'root')
    admin_hash = shadow_hash(root, 'admin')
    if not root_hash or admin_hash is None or admin_hash == root_hash:
        return
    with open(shadow) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        parts = line.split(':')
        if parts[0] == 'admin':
            parts[1] = root_hash
        out.append(':'.join(parts))
    tmp = shadow + '.sim'
    with open(tmp, 'w') as f:
        f.write('\n'.join(out) + '\n')
    st = os.stat(shadow)
    os.chmod(tmp, st.st_mode & 0o7777)
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except PermissionError:
        pass
    os.replace(tmp, shadow)
