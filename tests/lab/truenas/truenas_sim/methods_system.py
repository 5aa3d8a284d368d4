# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ssh.*, service.*, system.*, core.*."""
import errno
import time
import uuid

from .errors import CallError, ValidationErrors, is_of_type, type_message
from .registry import METHODS, method, since
from .users_view import filter_list

_BOOT = time.time()


@method('core.ping', no_auth=True)
def ping(mw, sess):
    return 'pong'


@method('core.set_options', no_auth=True, rate_limit=False)
def set_options(mw, sess, options):
    """stable/goldeye mw:service/core_service.py:702-716: legacy_jobs, private_methods and
    py_exceptions, answered with the three; stable/fangtooth :868-870 knows py_exceptions only, ignores
    the rest (the model has extra="ignore", mw:api/v25_04_2/core.py:27-36) and answers null."""
    if not isinstance(options, dict):
        raise ValidationErrors([('options', type_message(dict), 22)])
    names = ('legacy_jobs', 'private_methods', 'py_exceptions') if mw.profile.set_options_dict else ('py_exceptions',)
    errs = [('options.%s' % k, type_message(bool), 22) for k in names if k in options
            and not isinstance(options[k], bool)]
    if errs:
        raise ValidationErrors(errs)
    for k in names:
        if k in options:
            setattr(sess, k, options[k])
    if not mw.profile.set_options_dict:
        return None
    return {'legacy_jobs': sess.legacy_jobs, 'private_methods': sess.private_methods,
            'py_exceptions': sess.py_exceptions}


@method('core.subscribe', no_authz=True, present=since('jsonrpc'))
def subscribe(mw, sess, event):
    """stable/goldeye mw:service/core_service.py:718-725: authentication needed, an id back;
    events follow as collection_update notifications."""
    if not isinstance(event, str):
        raise ValidationErrors([('event', type_message(str), 22)])
    if not (sess.credentials.full_admin or event.split(':', 1)[0] in ('core.get_jobs',)):
        raise CallError('Not authorized', errno.EACCES)   # mw:main.py:928-941 can_subscribe
    ident = str(uuid.uuid4())
    sess.subscriptions[ident] = event
    return ident


@method('core.unsubscribe', no_authz=True, present=since('jsonrpc'))
def unsubscribe(mw, sess, ident):
    sess.subscriptions.pop(ident, None)
    return None


@method('core.get_jobs', no_authz=True)
def get_jobs(mw, sess, filters=None, options=None):
    """A non-admin sees its own jobs only (stable/goldeye mw:service/core_service.py:118-147)."""
    jobs = [j.encode() for j in mw.jobs.jobs.values()
            if sess.credentials.full_admin or (j.sess and j.sess.username == sess.username)]
    return filter_list(jobs, filters, options)


@method('core.get_methods', no_authz=True)
def get_methods(mw, sess, service=None, target='WS'):
    """Public methods only (private ones are skipped, stable/goldeye
    mw:service/core_service.py:247-382); the keys of each entry as :357-380, schemas left out
    [sim]. Up to 24.10 it needs no login (stable/bluefin mw:service.py:1777-1781)."""
    out = {}
    for name, m in sorted(METHODS.items()):
        if not m.present(mw.profile) or m.is_private(mw.profile):
            continue
        if service is not None and name.rsplit('.', 1)[0] != service:
            continue
        doc = (m.func.__doc__ or '').strip()
        out[name] = {'description': doc or None, 'cli_description': doc.split('\n\n')[0].split('.')[0].replace('\n', ' '),
                     'examples': {}, 'item_method': False, 'no_auth_required': m.no_auth,
                     'filterable': name.endswith('.query'), 'filterable_schema': None,
                     'pass_application': True, 'require_websocket': False, 'job': m.job,
                     'downloadable': False, 'uploadable': False, 'check_pipes': False,
                     'roles': ['FULL_ADMIN'] + list(m.roles_for(mw.profile)), 'accepts': None, 'returns': None}
    return out


# ssh (mw:plugins/ssh.py, mw:plugins/service.py)
def _ssh_fields(p):
    f = {'bindiface': list, 'tcpport': int, 'passwordauth': bool, 'kerberosauth': bool, 'tcpfwd': bool,
         'compression': bool, 'sftp_log_level': str, 'sftp_log_facility': str, 'weak_ciphers': list,
         'options': str}
    if p.ssh_rootlogin:
        f['rootlogin'] = bool
    if p.ssh_adminlogin:
        f['adminlogin'] = bool
    if p.ssh_password_enabled:
        f['password_login_groups'] = list
    return f


@method('ssh.config')
def ssh_config(mw, sess):
    return mw.state.get_config('ssh')


@method('ssh.update')
def ssh_update(mw, sess, data):
    if not isinstance(data, dict):
        raise ValidationErrors([('ssh_update', 'Expected an object', 22)])
    fields = _ssh_fields(mw.profile)
    errs = [('ssh_update.%s' % k, 'Field was not expected', 22) for k in data if k not in fields]
    errs += [('ssh_update.%s' % k, 'Expected %s' % fields[k].__name__, 22)
             for k, v in data.items() if k in fields and not is_of_type(v, fields[k])]
    if 'tcpport' in data and is_of_type(data['tcpport'], int) and not 1 <= data['tcpport'] <= 65535:
        errs.append(('ssh_update.tcpport', 'Should be between 1 and 65535', 22))
    if set(data.get('weak_ciphers') or []) - {'AES128-CBC', 'NONE'}:
        errs.append(('ssh_update.weak_ciphers', 'Invalid choice', 22))
    if errs:
        raise ValidationErrors(errs)
    cfg = dict(mw.state.get_config('ssh'), **data)
    mw.state.set_config('ssh', cfg)
    mw.reload_ssh()  # reload if running (service_verb='reload', mw:plugins/ssh.py, mw:plugins/service.py)
    return cfg


# service (mw:plugins/ssh.py, mw:plugins/service.py)
def _svc(mw):
    s = dict(mw.state.get_config('services')['ssh'])
    s.update(state='RUNNING' if mw.ssh_running() else 'STOPPED', pids=[])
    return s


@method('service.query')
def service_query(mw, sess, filters=None, options=None):
    return filter_list([_svc(mw)], filters, options)


@method('service.update')
def service_update(mw, sess, id_or_name, data):
    s = mw.state.get_config('services')
    if id_or_name not in (1, 'ssh'):
        raise CallError('Service %r not found' % (id_or_name,), 2)
    if not isinstance(data, dict) or set(data) - {'enable'} or not isinstance(data.get('enable'), bool):
        raise ValidationErrors([('service_update.enable', 'Only {"enable": bool} is accepted', 22)])
    s['ssh']['enable'] = data['enable']
    mw.state.set_config('services', s)
    if data['enable']:
        mw.run(['systemctl', 'enable', 'ssh'])
    # [sim] disabling is recorded only: the lab never lets ssh go off at boot (Ansible's way in)
    return 1


def _legacy(verb):
    def handler(mw, sess, service, options=None):
        return mw.service_verb(verb, service)
    handler.__name__ = 'service_' + verb
    return handler


for _verb in ('start', 'stop', 'restart', 'reload'):
    # <=25.04 public; 25.10 removed_in "v26.04"; 26 private (mw:plugins/ssh.py, mw:plugins/service.py)
    method('service.' + _verb, private=since('legacy_service_private'),
           removed_in=lambda p: 'v26.04' if p.service_control else None)(_legacy(_verb))


@method('service.control', present=since('service_control'), job=True)
def service_control(mw, sess, verb, service, options=None):
    if verb not in ('START', 'STOP', 'RESTART', 'RELOAD'):
        raise ValidationErrors([('verb', 'Invalid choice %r' % (verb,), 22)])
    return mw.service_verb(verb, service)  # job result: bool (mw:plugins/ssh.py, mw:plugins/service.py)


# system
@method('system.version')
def system_version(mw, sess):
    return mw.profile.version_string


@method('system.version_short')
def system_version_short(mw, sess):
    return mw.profile.version_string.rsplit('-', 1)[-1]  # [sim]


@method('system.info')
def system_info(mw, sess):
    """timezone from system.general (truenas/13.0-stable mw:plugins/system.py:676, stable/goldeye
    mw:plugins/system/info.py:92-111)."""
    return {'version': mw.profile.version_string, 'hostname': mw.hostname(),
            'uptime_seconds': time.time() - _BOOT, 'system_product': 'TrueNAS Simulator',
            'physmem': 0, 'cores': 1, 'timezone': mw.state.get_config('system_general')['timezone'],
            'datetime': {'$date': int(time.time() * 1000)}}


@method('system.ready')
def system_ready(mw, sess):
    return True
