# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A PAM conversation through ctypes (libpam0g is on every Debian image), used by the 26 profile,
where the middleware checks the OTP through pam_oath (stable/26 mw:plugins/auth_/login_ex_impl.py).

libpam sleeps its fail delay (pam_unix asks for 2 s, pam_fail_delay(3)) at the end of a refused
pam_authenticate. The middleware runs PAM in a thread of its own, where that sleep holds back no
other call; the simulator runs methods under its lock, so the delay is taken from libpam through the
PAM_FAIL_DELAY item (an application's own delay function, pam_fail_delay(3)) and handed back, for
the caller to sleep after the call has left the lock (wire.Wire._timed)."""
import ctypes
import ctypes.util

PAM_PROMPT_ECHO_OFF = 1
PAM_PROMPT_ECHO_ON = 2
PAM_FAIL_DELAY = 10    # <security/_pam_types.h>


class _Message(ctypes.Structure):
    _fields_ = [('msg_style', ctypes.c_int), ('msg', ctypes.c_char_p)]


class _Response(ctypes.Structure):
    _fields_ = [('resp', ctypes.c_void_p), ('resp_retcode', ctypes.c_int)]  # malloc'd: PAM frees it


_CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.POINTER(_Message)),
                         ctypes.POINTER(ctypes.POINTER(_Response)), ctypes.c_void_p)


_DELAY_FN = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p)


class _Conv(ctypes.Structure):
    _fields_ = [('conv', _CONV), ('appdata_ptr', ctypes.c_void_p)]


_lib = None


def _libs():
    global _lib
    if _lib is None:
        pam = ctypes.CDLL(ctypes.util.find_library('pam') or 'libpam.so.0')
        libc = ctypes.CDLL(ctypes.util.find_library('c'))
        pam.pam_start.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_Conv),
                                  ctypes.POINTER(ctypes.c_void_p)]
        pam.pam_authenticate.argtypes = [ctypes.c_void_p, ctypes.c_int]
        pam.pam_set_item.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        pam.pam_end.argtypes = [ctypes.c_void_p, ctypes.c_int]
        pam.pam_strerror.argtypes = [ctypes.c_void_p, ctypes.c_int]
        pam.pam_strerror.restype = ctypes.c_char_p
        libc.calloc.restype = ctypes.c_void_p
        libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
        libc.strdup.restype = ctypes.c_void_p
        libc.strdup.argtypes = [ctypes.c_char_p]
        _lib = (pam, libc)
    return _lib


def authenticate(service, username, answer):
    """Run pam_authenticate; `answer(prompt, echo) -> str` replies to each prompt.
    Returns (ok, message, the fail delay in seconds that libpam asked for: 0 on success)."""
    pam, libc = _libs()
    prompts = []
    delays = []

    def delay(status, usec, _data):
        # libpam calls an application's delay function after every pam_authenticate, with its status
        if status != 0:
            delays.append(usec / 1e6)

    def conv(n, msgs, resp, _data):
        buf = libc.calloc(n, ctypes.sizeof(_Response))
        arr = ctypes.cast(buf, ctypes.POINTER(_Response))
        for i in range(n):
            m = msgs[i].contents
            text = (m.msg or b'').decode(errors='replace')
            if m.msg_style in (PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON):
                prompts.append(text)
                reply = answer(text, m.msg_style == PAM_PROMPT_ECHO_ON) or ''
                arr[i].resp = libc.strdup(reply.encode())
            arr[i].resp_retcode = 0
        resp[0] = arr
        return 0

    cb = _CONV(conv)
    delay_cb = _DELAY_FN(delay)   # referenced until pam_end: libpam keeps the pointer
    handle = ctypes.c_void_p()
    rc = pam.pam_start(service.encode(), username.encode(), ctypes.byref(_Conv(cb, None)), ctypes.byref(handle))
    if rc != 0:
        return False, 'pam_start failed (%d)' % rc, 0
    pam.pam_set_item(handle, PAM_FAIL_DELAY, ctypes.cast(delay_cb, ctypes.c_void_p))
    rc = pam.pam_authenticate(handle, 0)
    msg = (pam.pam_strerror(handle, rc) or b'').decode()
    pam.pam_end(handle, rc)
    return rc == 0, msg, sum(delays)
