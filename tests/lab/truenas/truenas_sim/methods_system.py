"""ssh.*, service.*, system.*, core.* (brief 4, 5)."""
import time

from .errors import CallError, InvalidParams, is_of_type
from .registry import METHODS, method, since
from .users_view import filter_list

_BOOT = time.time()


@method('core.ping', no_auth=True)
def ping(mw, sess):
    return 'pong'


@method('core.set_options', no_auth=True)
def set_options(mw, sess, options):
    if not isinstance(options, dict):
        raise InvalidParams([('options', 'Expected an object', 22)])
    sess.options = options  # accepted and kept; no option changes behaviour here [I-sim]
    return None


@method('core.get_jobs')
def get_jobs(mw, sess, filters=None, options=None):
    return filter_list(list(mw.jobs.values()), filters, options)


@method('core.get_methods')
def get_methods(mw, sess, *args):
    """Name -> {job, private, removed_in} for this version: the flags the simulator enforces."""
    out = {}
    for name, m in sorted(METHODS.items()):
        if m.present(mw.profile):
            out[name] = {'job': m.job, 'private': m.is_private(mw.profile),
                         'removed_in': m.removed_in(mw.profile) if m.removed_in else None}
    return out


# ssh (brief 4 [V])
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
        raise InvalidParams([('ssh_update', 'Expected an object', 22)])
    fields = _ssh_fields(mw.profile)
    errs = [('ssh_update.%s' % k, 'Field was not expected', 22) for k in data if k not in fields]
    errs += [('ssh_update.%s' % k, 'Expected %s' % fields[k].__name__, 22)
             for k, v in data.items() if k in fields and not is_of_type(v, fields[k])]
    if 'tcpport' in data and is_of_type(data['tcpport'], int) and not 1 <= data['tcpport'] <= 65535:
        errs.append(('ssh_update.tcpport', 'Should be between 1 and 65535', 22))
    if set(data.get('weak_ciphers') or []) - {'AES128-CBC', 'NONE'}:
        errs.append(('ssh_update.weak_ciphers', 'Invalid choice', 22))
    if errs:
        raise InvalidParams(errs)
    cfg = dict(mw.state.get_config('ssh'), **data)
    mw.state.set_config('ssh', cfg)
    mw.reload_ssh()  # reload if running (service_verb='reload', brief 4 [V])
    return cfg


# service (brief 4 [V])
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
        raise CallError('Service %r not found' % (id_or_name,), 2, name='ENOENT')
    if not isinstance(data, dict) or set(data) - {'enable'} or not isinstance(data.get('enable'), bool):
        raise InvalidParams([('service_update.enable', 'Only {"enable": bool} is accepted', 22)])
    s['ssh']['enable'] = data['enable']
    mw.state.set_config('services', s)
    if data['enable']:
        mw.run(['systemctl', 'enable', 'ssh'])
    # [I-sim] disabling is recorded only: the lab never lets ssh go off at boot (Ansible's way in)
    return 1


def _legacy(verb):
    def handler(mw, sess, service, options=None):
        return mw.service_verb(verb, service)
    handler.__name__ = 'service_' + verb
    return handler


for _verb in ('start', 'stop', 'restart', 'reload'):
    # <=25.04 public; 25.10 removed_in "v26.04"; 26 private (brief 4 [V])
    method('service.' + _verb, private=since('legacy_service_private'),
           removed_in=lambda p: 'v26.04' if p.service_control else None)(_legacy(_verb))


@method('service.control', present=since('service_control'), job=True)
def service_control(mw, sess, verb, service, options=None):
    if verb not in ('START', 'STOP', 'RESTART', 'RELOAD'):
        raise InvalidParams([('verb', 'Invalid choice %r' % (verb,), 22)])
    return mw.service_verb(verb, service)  # job result: bool (brief 4 [V])


# system
@method('system.version')
def system_version(mw, sess):
    return mw.profile.version_string


@method('system.version_short')
def system_version_short(mw, sess):
    return mw.profile.version_string.rsplit('-', 1)[-1]  # [I-sim]


@method('system.info')
def system_info(mw, sess):
    return {'version': mw.profile.version_string, 'hostname': mw.hostname(),
            'uptime_seconds': time.time() - _BOOT, 'system_product': 'TrueNAS Simulator',
            'physmem': 0, 'cores': 1, 'timezone': 'UTC', 'datetime': {'$date': int(time.time() * 1000)}}


@method('system.ready')
def system_ready(mw, sess):
    return True
