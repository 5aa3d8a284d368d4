# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version profiles: which behaviour each TrueNAS release shows, read in the middleware's release
branches (truenas/13.0-stable, stable/bluefin ... stable/26; ``mw:`` = src/middlewared/middlewared/).

This vocabulary is the simulator's own, an oracle independent of the collection's version table
(plugins/module_utils/truenas_version.py): nothing here is imported from the collection.
"""
from dataclasses import dataclass, field

# Requested version -> profile. 13.3 behaves as 13.0 (truenas/13.0-stable vs 13.3-stable: no 2FA difference: "git diff ... is empty");
# 24.04 behaves as 24.10 (stable/dragonfish and stable/electriceel agree on 2FA; the differences are version checks below).
ALIASES = {
    '13.0': '13.0', '13.3': '13.0', '22.12': '22.12', '23.10': '23.10', '24.04': '24.10',
    '24.10': '24.10', '25.04': '25.04', '25.10': '25.10', '26.0': '26.0',
}

# system.version strings. The era prefixes follow the source's task text; the patch levels are
# [sim]: plausible releases, not read from a box.
VERSION_STRINGS = {
    '13.0': 'TrueNAS-13.0-U6.7', '13.3': 'TrueNAS-13.3-U1.2', '22.12': 'TrueNAS-SCALE-22.12.4.2',
    '23.10': 'TrueNAS-SCALE-23.10.2', '24.04': 'TrueNAS-SCALE-24.04.2.5', '24.10': 'TrueNAS-SCALE-24.10.2',
    '25.04': 'TrueNAS-25.04.2', '25.10': 'TrueNAS-25.10.0', '26.0': 'TrueNAS-26.0.0',
}


class UnknownVersion(ValueError):
    pass


@dataclass(frozen=True)
class Profile:
    version: str          # as asked, e.g. '24.04'
    profile: str          # the profile it maps to, e.g. '24.10'
    rank: int             # ordering: 13.0 < 22.12 < ... < 26.0
    caps: dict = field(default_factory=dict)

    def __getattr__(self, name):
        caps = object.__getattribute__(self, 'caps')
        if name in caps:
            return caps[name]
        raise AttributeError(name)

    @property
    def version_string(self):
        return VERSION_STRINGS[self.version]


_ORDER = ['13.0', '22.12', '23.10', '24.10', '25.04', '25.10', '26.0']


# JSON-RPC endpoints /api/<version>: the API version folders of each branch head
# (mw:api/v24_10 ... v26_0_0, stable/fangtooth, stable/goldeye, stable/26), served by
# stable/goldeye mw:main.py:198-218 and :279-280 as /api/current and /api/<version>.
API_VERSIONS = {
    '25.04': ['v24.10', 'v25.04.0', 'v25.04.1', 'v25.04.2'],
    '25.10': ['v24.10', 'v25.04.0', 'v25.04.1', 'v25.04.2', 'v25.10.0', 'v25.10.1', 'v25.10.2'],
    '26.0': ['v24.10', 'v25.04.0', 'v25.04.1', 'v25.04.2', 'v25.10.0', 'v25.10.1', 'v25.10.2', 'v25.10.3',
             'v25.10.4', 'v25.10.5', 'v26.0.0'],
}


def _caps(p, version):
    r = _ORDER.index(p)

    def at_least(version):
        return r >= _ORDER.index(version)

    core = p == '13.0'
    return {
        'core': core,
        'scale': not core,
        # one global secret on CORE and SCALE <= 22.12 (truenas/13.0-stable, stable/bluefin mw:plugins/auth.py)
        'global_secret': r <= 1,
        'per_user_secret': at_least('23.10'),
        # mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py: otp_digits / interval global up to 23.10, per user from 24.04
        'global_digits': r <= 2,
        'per_user_options': at_least('24.10'),
        # mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py: 23.10 only, changing digits or interval wipes every user's secret
        'wipe_on_digits_change': p == '23.10',
        # mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py: "23.10 and later: an update that changes nothing ... without writing"
        'noop_update_silent': at_least('23.10'),
        # auth.me: stable/bluefin mw:plugins/auth.py (async def me), absent on truenas/13.0-stable;
        # two_factor_config in it from stable/dragonfish (24.04)
        'auth_me': at_least('22.12'),
        'me_twofactor_config': at_least('24.10'),
        # mw:plugins/auth.py: login_ex from 25.04; auth.two_factor_auth removed in 25.04
        'login_ex': at_least('25.04'),
        'two_factor_auth': not at_least('25.04'),
        # mw:plugins/account_/2fa.py: provisioning_uri / twofactor_config / verify_twofactor_token private 25.04+
        'user_2fa_private': at_least('25.04'),
        'renew_returns_config': at_least('25.04'),
        # mw:plugins/account_/2fa.py: user.twofactor_config exists from 24.04
        'user_twofactor_config': at_least('24.10'),
        # mw:etc_files/local/users.oath(.mako): users.oath written when enabled and ssh (<=24.10) or when enabled (25.04+)
        'oath_when_enabled': at_least('25.04'),
        # mw:plugins/account_/2fa.py: unset needs global 2FA off 23.10-25.04; not from 25.10
        'unset_needs_2fa_off': p in ('23.10', '24.10', '25.04'),
        'unset_regenerates_oath': at_least('25.10'),
        # password SSH for a user without secret refused while SSH 2FA is on: NAS-132659 (PR 15235,
        # b16cbe2c70, "24.10.2"), stable/electriceel mw:plugins/account.py:1440-1459; not on 24.04
        'ssh_pw_needs_secret': at_least('24.10') and version != '24.04',
        # mw:plugins/ssh.py, mw:plugins/service.py: service.control 25.10+; old verbs removed_in v26.04 on 25.10, private on 26
        'service_control': at_least('25.10'),
        'legacy_service_private': at_least('26.0'),
        # mw:plugins/account_/2fa.py: interval Literal[30, 60] from 26.0
        'interval_choices': (30, 60) if at_least('26.0') else None,
        # mw:plugins/auth.py: OTP checked through PAM pam_oath on 26; pyotp on 25.04/25.10
        'otp_via_pam': at_least('26.0'),
        # Wrong codes answered OTP_REQUIRED again before AUTH_ERR: MAX_OTP_ATTEMPTS = 3 with a count
        # from 0 (stable/goldeye mw:utils/auth.py:9, mw:plugins/auth.py:816, :1026-1034; stable/fangtooth
        # :796, :1002), so the fourth wrong code ends it. stable/26 mw:plugins/auth_/login_ex_impl.py:
        # 295-345 ends the attempt at the first wrong code (one PAM conversation).
        'otp_retries': 0 if at_least('26.0') else 3,
        # JSON-RPC endpoints from 25.04 (stable/fangtooth mw:main.py _add_api_route)
        'jsonrpc': at_least('25.04'),
        'api_versions': API_VERSIONS.get(p, []),
        # The legacy /websocket of each era: truenas/13.0-stable mw:main.py Application (errors
        # without errname, unauthenticated = EACCES), stable/bluefin..electriceel mw:main.py
        # Application (ENOTAUTHENTICATED, bare reason), stable/fangtooth+ mw:apps/websocket_app.py
        # (authorize_method_call, no ping answer)
        'legacy_wire': 'core' if core else ('scale' if r <= 3 else 'rpcapp'),
        # core.set_options: py_exceptions only, answer null (stable/fangtooth
        # mw:service/core_service.py:868-870); legacy_jobs/private_methods and the options dict from
        # stable/goldeye mw:service/core_service.py:702-716
        'set_options_dict': at_least('25.10'),
        # job dicts carry message_ids from stable/goldeye mw:job.py:300, :683
        'job_message_ids': at_least('25.10'),
        # error traces lose their frames on stable/26 (mw:api/base/server/ws_handler/rpc.py:115-121)
        'trace_frames': not at_least('26.0'),
        # REST /api/v2.0 up to 25.10 (mw:restful.py; gone from stable/26, b7f13f74c7)
        'rest': not at_least('26.0'),
        # login_ex world (stable/fangtooth+): assurance levels, one-time passwords
        'aal': at_least('25.04'),
        'otpw': at_least('25.04'),
        # auth.get_login_user(username, password, otp_token=None): stable/cobia
        # mw:plugins/auth.py:452 (private) to stable/electriceel :421; (app, username, password) on
        # stable/fangtooth :1116 and stable/goldeye :1140; absent from stable/26
        'get_login_user': 'otp' if p in ('23.10', '24.10') else ('app' if p in ('25.04', '25.10') else None),
        # user.create answers the id up to 24.10, the entry from 25.04 (stable/goldeye
        # mw:plugins/account.py:613)
        'user_create_returns_entry': at_least('25.04'),
        # the middleware's test plugin (mw:plugins/test/): log.py 23.10+, mock.py 25.04+, init.py 25.10+
        'test_log': at_least('23.10'),
        'test_mock_role': at_least('25.04'),
        'test_init': at_least('25.10'),
        # rate limit of unauthenticated calls: stable/electriceel mw:main.py:374-392 and
        # mw:plugins/rate_limit/__init__.py (not on stable/dragonfish, 24.04)
        'rate_limit': at_least('24.10') and version != '24.04',
        # audit of 2FA logins (login_ex's AUTHENTICATION events) from 25.04
        'audit': at_least('25.04'),
        # mw:plugins/api_key.py: global named keys <=24.10, user-bound <id>-<secret> 25.04+
        'user_api_keys': at_least('25.04'),
        # mw:plugins/ssh.py, mw:plugins/service.py: rootlogin CORE and 22.12, adminlogin 22.12, per-user ssh_password_enabled 23.10+
        'ssh_rootlogin': r <= 1,
        'ssh_adminlogin': p == '22.12',
        'ssh_password_enabled': at_least('23.10'),
        # mw:etc_files/local/ssh/sshd_config(.mako): template eras
        'sshd_era': 'core' if r <= 1 else ('cobia' if r <= 3 else 'fangtooth'),
        # stable/26 mw:etc_files/pam.d/truenas.mako: /etc/pam.d/truenas with pam_oath on 26
        'pam_truenas': at_least('26.0'),
        # mw:plugins/auth_/2fa.py; CORE/22.12 mw:plugins/auth.py: etc.generate pam on 26; service.control RELOAD of ssh on 25.10+
        'socket': '/var/run/middlewared.sock' if core else '/var/run/middleware/middlewared.sock',
        # mw:etc_files/local/users.oath(.mako): CORE path /usr/local/etc/users.oath; SCALE /etc/users.oath
        'oath_path': '/usr/local/etc/users.oath' if core else '/etc/users.oath',
        # mw:plugins/account_/2fa.py: label "<user>-<host>@TrueNAS" 23.10+, "<host>@<product>" before
        'product_name': 'TrueNAS' if core else 'TrueNAS-SCALE',
        # system.general's entry by era (truenas/13.0-stable mw:plugins/system.py:888-906; SCALE
        # mw:plugins/system_general/update.py): ui_allowlist, ui_consolemsg, ui_x_frame_options and
        # ds_auth on SCALE only (stable/bluefin :22, :27-28, :38); crash_reporting up to 22.12 (gone
        # on stable/cobia :15-36); birthday up to 23.10 (gone on stable/dragonfish :15-35); language
        # up to 25.04 (gone on stable/goldeye :19-38); ui_certificate an id beside
        # ui_certificate_name on 26 (stable/26 :65-70, mw:api/v26_0_0/system_general.py:30, :77).
        'general_scale_ui': not core,
        'general_crash_reporting': r <= 1,
        'general_birthday': r <= 2,
        'general_language': not at_least('25.10'),
        'general_cert_id': at_least('26.0'),
        # the update's arguments: the old schema (Dict 'general_settings') up to stable/fangtooth
        # (:210-222 is still @accepts); a pydantic model from stable/goldeye
        # (mw:api/v25_10_0/system_general.py:68-79, mw:plugins/system_general/update.py:177)
        'general_pydantic': at_least('25.10'),
        # role_prefix SYSTEM_GENERAL from stable/dragonfish (:46); none on stable/cobia (:41-46)
        'general_roles': at_least('24.10'),
        # system.security from stable/cobia (mw:plugins/security/update.py:9-27, {id, enable_fips});
        # absent from stable/bluefin and truenas/13.0-stable; the STIG and password fields and role_prefix
        # SYSTEM_SECURITY from stable/fangtooth (:22-42)
        'security': at_least('23.10'),
        'security_stig': at_least('25.04'),
    }


def get_profile(version):
    version = str(version).strip()
    if version not in ALIASES:
        raise UnknownVersion(
            'unknown TrueNAS version %r; the simulator knows %s'
            % (version, ', '.join(sorted(ALIASES, key=lambda v: [int(x) for x in v.split('.')]))))
    p = ALIASES[version]
    return Profile(version=version, profile=p, rank=_ORDER.index(p), caps=_caps(p, version))
