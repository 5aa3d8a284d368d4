"""Version profiles: which behaviour each TrueNAS release shows (brief 1 and 8, "Versions to branch on")."""
from dataclasses import dataclass, field

# Requested version -> profile. 13.3 behaves as 13.0 (brief 0: "git diff ... is empty" [V]);
# 24.04 behaves as 24.10 (brief 1: "Same as 24.04" [V]).
ALIASES = {
    '13.0': '13.0', '13.3': '13.0', '22.12': '22.12', '23.10': '23.10', '24.04': '24.10',
    '24.10': '24.10', '25.04': '25.04', '25.10': '25.10', '26.0': '26.0',
}

# system.version strings. The era prefixes follow the brief's task text; the patch levels are
# [I-sim]: plausible releases, not read from a box.
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


def _caps(p):
    r = _ORDER.index(p)

    def at_least(version):
        return r >= _ORDER.index(version)

    core = p == '13.0'
    return {
        'core': core,
        'scale': not core,
        # brief 1 / 2.2: one global secret on CORE and SCALE <= 22.12 [V]
        'global_secret': r <= 1,
        'per_user_secret': at_least('23.10'),
        # brief 2.1: otp_digits / interval global up to 23.10, per user from 24.04 [V]
        'global_digits': r <= 2,
        'per_user_options': at_least('24.10'),
        # brief 2.1: 23.10 only, changing digits or interval wipes every user's secret [V]
        'wipe_on_digits_change': p == '23.10',
        # brief 2.1: "23.10 and later: an update that changes nothing ... without writing" [V]
        'noop_update_silent': at_least('23.10'),
        # brief 2.3 auth.me 24.04+ [V]
        'auth_me': at_least('24.10'),
        # brief 2.4: login_ex from 25.04 [V]; auth.two_factor_auth removed in 25.04 [V]
        'login_ex': at_least('25.04'),
        'two_factor_auth': not at_least('25.04'),
        # brief 2.3: provisioning_uri / twofactor_config / verify_twofactor_token private 25.04+ [V]
        'user_2fa_private': at_least('25.04'),
        'renew_returns_config': at_least('25.04'),
        # brief 2.3: user.twofactor_config exists from 24.04 [V]
        'user_twofactor_config': at_least('24.10'),
        # brief 3.1: users.oath written when enabled and ssh (<=24.10) or when enabled (25.04+) [V]
        'oath_when_enabled': at_least('25.04'),
        # brief 2.3: unset needs global 2FA off 23.10-25.04; not from 25.10 [V]
        'unset_needs_2fa_off': p in ('23.10', '24.10', '25.04'),
        'unset_regenerates_oath': at_least('25.10'),
        # brief 3.2: 25.04+ refuses ssh_password_enabled for a user without secret while SSH 2FA on [V]
        'ssh_pw_needs_secret': at_least('25.04'),
        # brief 4: service.control 25.10+; old verbs removed_in v26.04 on 25.10, private on 26 [V]
        'service_control': at_least('25.10'),
        'legacy_service_private': at_least('26.0'),
        # brief 2.3: interval Literal[30, 60] from 26.0 [V]
        'interval_choices': (30, 60) if at_least('26.0') else None,
        # brief 2.4: OTP checked through PAM pam_oath on 26 [V]; pyotp on 25.04/25.10 [V]
        'otp_via_pam': at_least('26.0'),
        # brief 2.4: MAX_OTP_ATTEMPTS = 3 on 25.04+ [V]. On 26 the issue (issue 5) says "a wrong
        # code ends the attempt": the PAM conversation is over once pam_oath says no [I].
        'max_otp_attempts': 1 if at_least('26.0') else 3,
        # brief 5: JSON-RPC endpoints 25.04+ [V]
        'jsonrpc': at_least('25.04'),
        # brief 2.5: global named keys <=24.10, user-bound <id>-<secret> 25.04+ [V]
        'user_api_keys': at_least('25.04'),
        # brief 4: rootlogin CORE and 22.12, adminlogin 22.12, per-user ssh_password_enabled 23.10+ [V]
        'ssh_rootlogin': r <= 1,
        'ssh_adminlogin': p == '22.12',
        'ssh_password_enabled': at_least('23.10'),
        # brief 3.4: template eras [V]
        'sshd_era': 'core' if r <= 1 else ('cobia' if r <= 3 else 'fangtooth'),
        # brief 3.3: /etc/pam.d/truenas with pam_oath on 26 [V]
        'pam_truenas': at_least('26.0'),
        # brief 2.1: etc.generate pam on 26; service.control RELOAD of ssh on 25.10+ [V]
        'socket': '/var/run/middlewared.sock' if core else '/var/run/middleware/middlewared.sock',
        # brief 3.1: CORE path /usr/local/etc/users.oath; SCALE /etc/users.oath [V]
        'oath_path': '/usr/local/etc/users.oath' if core else '/etc/users.oath',
        # brief 2.3: label "<user>-<host>@TrueNAS" 23.10+, "<host>@<product>" before [V]
        'product_name': 'TrueNAS' if core else 'TrueNAS-SCALE',
    }


def get_profile(version):
    version = str(version).strip()
    if version not in ALIASES:
        raise UnknownVersion(
            'unknown TrueNAS version %r; the simulator knows %s'
            % (version, ', '.join(sorted(ALIASES, key=lambda v: [int(x) for x in v.split('.')]))))
    p = ALIASES[version]
    return Profile(version=version, profile=p, rank=_ORDER.index(p), caps=_caps(p))
