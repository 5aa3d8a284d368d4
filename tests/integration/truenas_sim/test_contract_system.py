"""system.general and system.security as each version has them: the entry's keys and defaults,
an update of ui_httpsredirect read back the other way (websocket / midclt), the refusal of a value
of the wrong type or an unknown key in the era's words, and system.security.config from 23.10
(``mw:`` = src/middlewared/middlewared/ of github.com/truenas/middleware at the version's branch)."""
import pytest

LAB_PROFILES = ['13.0', '22.12', '23.10', '24.10', '25.04', '25.10', '26.0']

_UI = {'id', 'ui_certificate', 'ui_httpsport', 'ui_httpsredirect', 'ui_httpsprotocols', 'ui_port', 'ui_address',
       'ui_v6address', 'kbdmap', 'timezone', 'usage_collection', 'usage_collection_is_set', 'wizardshown'}
_SCALE = _UI | {'ui_allowlist', 'ui_consolemsg', 'ui_x_frame_options', 'ds_auth'}
GENERAL_KEYS = {
    # truenas/13.0-stable mw:plugins/system.py:888-906, extended :925-947
    '13.0': _UI | {'language', 'birthday', 'crash_reporting', 'crash_reporting_is_set'},
    # stable/bluefin mw:plugins/system_general/update.py:50-79
    '22.12': _SCALE | {'language', 'birthday', 'crash_reporting', 'crash_reporting_is_set'},
    # stable/cobia :48-75: crash_reporting gone
    '23.10': _SCALE | {'language', 'birthday'},
    # stable/electriceel :47-73, stable/fangtooth :47-73: birthday gone
    '24.10': _SCALE | {'language'},
    '25.04': _SCALE | {'language'},
    # stable/goldeye mw:api/v25_10_0/system_general.py:28-65: language gone
    '25.10': _SCALE,
    # stable/26 mw:api/v26_0_0/system_general.py:28-79: ui_certificate an id, and its name
    '26.0': _SCALE | {'ui_certificate_name'},
}
SECURITY = {
    # stable/cobia .. stable/electriceel mw:plugins/security/update.py:23-27
    '23.10': {'id': 1, 'enable_fips': False},
    '24.10': {'id': 1, 'enable_fips': False},
}
for _v in ('25.04', '25.10', '26.0'):
    # stable/fangtooth mw:api/v25_04_2/system_security.py:29-70 (and the later branches): null when unset
    SECURITY[_v] = {'id': 1, 'enable_fips': False, 'enable_gpos_stig': False, 'min_password_age': None,
                    'max_password_age': None, 'password_complexity_ruleset': None, 'min_password_length': None,
                    'password_history_length': None}


def _bool_error(version):
    """The old schema's Bool (mw:schema.py 'Not a boolean') up to 25.04, pydantic's from 25.10."""
    return 'Input should be a valid boolean' if version in ('25.10', '26.0') else 'Not a boolean'


@pytest.mark.parametrize('version', LAB_PROFILES)
def test_general_config_keys_and_defaults(boxes, version):
    box = boxes[version]
    cfg = box.call('system.general.config')
    assert set(cfg) == GENERAL_KEYS[version]
    assert cfg['ui_httpsredirect'] is False                       # the model's default, every branch
    assert (cfg['ui_port'], cfg['ui_httpsport']) == (80, 443)
    assert cfg['ui_address'] == ['0.0.0.0'] and cfg['ui_v6address'] == ['::']
    assert cfg['usage_collection'] is True and cfg['usage_collection_is_set'] is False   # null shown as True
    if version == '26.0':
        assert cfg['ui_certificate'] == 1 and cfg['ui_certificate_name'] == 'truenas_default'
    else:
        assert cfg['ui_certificate']['name'] == ('freenas_default' if version == '13.0' else 'truenas_default')
    assert box.midclt_call('system.general.config') == cfg
    assert box.call('system.info')['timezone'] == cfg['timezone']


@pytest.mark.parametrize('version', LAB_PROFILES)
def test_httpsredirect_update_read_back_the_other_way(boxes, version):
    box = boxes[version]
    try:
        assert box.call('system.general.update', {'ui_httpsredirect': True})['ui_httpsredirect'] is True
        assert box.midclt_call('system.general.config')['ui_httpsredirect'] is True
        assert box.midclt_call('system.general.update', {'ui_httpsredirect': False})['ui_httpsredirect'] is False
        assert box.call('system.general.config')['ui_httpsredirect'] is False
    finally:
        box.call('system.general.update', {'ui_httpsredirect': False})


@pytest.mark.parametrize('version', LAB_PROFILES)
def test_wrong_type_refused_in_the_eras_words(boxes, version):
    box = boxes[version]
    msg = box.admin.raw('system.general.update', {'ui_httpsredirect': 'yes'})
    err = msg['error']
    if version == '13.0':
        # the schema's Error leaves the call (truenas/13.0-stable mw:schema.py:376-384, :591-613) and
        # is sent as a CallError (mw:main.py:165-168): no type, no extra, "[attribute] message"
        assert (err['error'], err['type'], err['extra']) == (22, None, None)
        assert err['reason'] == '[ui_httpsredirect] Not a boolean'
    else:
        entry = ['general_settings.ui_httpsredirect', _bool_error(version), 22]
        if box.rank >= 4:                                        # JSON-RPC: -32602 Invalid params
            assert err['code'] == -32602 and err['data']['extra'] == [entry]
        else:                                                    # legacy: EAGAIN, VALIDATION
            assert (err['error'], err['type'], err['extra']) == (11, 'VALIDATION', [entry])
    r = box.midclt('system.general.update', {'ui_httpsredirect': 'yes'})
    assert r.returncode == 1
    if version == '13.0':
        assert '[ui_httpsredirect] Not a boolean' in r.stderr
    else:
        assert '[EINVAL] general_settings.ui_httpsredirect: %s' % _bool_error(version) in r.stderr
    assert box.call('system.general.config')['ui_httpsredirect'] is False


@pytest.mark.parametrize('version', ['13.0', '24.10', '25.04', '26.0'])
def test_unknown_key_refused(boxes, version):
    """'Field was not expected' from the old schema (CORE: the first bad key alone), pydantic's
    'Extra inputs are not permitted' from 25.10 (stable/goldeye mw:api/base/handler/accept.py:70-84)."""
    box = boxes[version]
    r = box.midclt('system.general.update', {'ui_httpsredirect': True, 'no_such_key': 1})
    assert r.returncode == 1
    if version == '13.0':
        assert '[no_such_key] Field was not expected' in r.stderr
    else:
        word = 'Extra inputs are not permitted' if version == '26.0' else 'Field was not expected'
        assert '[EINVAL] general_settings.no_such_key: %s' % word in r.stderr
    assert box.call('system.general.config')['ui_httpsredirect'] is False   # nothing written


@pytest.mark.parametrize('version', LAB_PROFILES)
def test_security_config_where_the_version_has_it(boxes, version):
    box = boxes[version]
    if version in ('13.0', '22.12'):
        # no system.security service before stable/cobia
        err = box.admin.raw('system.security.config')['error']
        assert err['error'] == 201 and "Service 'system.security' not found" in err['reason']
        r = box.midclt('system.security.config')
        assert r.returncode == 1 and "Service 'system.security' not found" in r.stderr
        return
    assert box.call('system.security.config') == SECURITY[version]
    assert box.midclt_call('system.security.config') == SECURITY[version]


def test_system_general_read_role_and_the_redacted_certificate(boxes):
    """A SYSTEM_GENERAL_READ privilege on 25.10: the config with ui_certificate redacted (a Secret
    without the WRITE role, stable/goldeye mw:main.py:836-848), no update, no system.security."""
    box = boxes['25.10']
    gid_row = box.call('group.create', {'name': 'greaders'})
    group = box.call('group.get_instance', gid_row)
    priv = box.call('privilege.create', {'name': 'General read', 'local_groups': [group['gid']], 'ds_groups': [],
                                         'roles': ['SYSTEM_GENERAL_READ'], 'web_shell': False})
    user = box.call('user.create', {'username': 'gread', 'full_name': 'Reader', 'group_create': True,
                                    'groups': [gid_row], 'password': 'Read-Pw-1'})
    try:
        rpc = box.login(user='gread', password='Read-Pw-1')
        cfg = rpc.call('system.general.config')
        assert cfg['ui_certificate'] == '********' and cfg['ui_httpsredirect'] is False
        assert rpc.error('system.general.update', {'ui_httpsredirect': True})['data']['error'] == 13   # EACCES
        assert rpc.error('system.security.config')['data']['error'] == 13
        rpc.close()
    finally:
        box.call('user.delete', user['id'])
        box.call('privilege.delete', priv['id'])
        box.call('group.delete', gid_row)
