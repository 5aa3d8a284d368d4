# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TrueNAS versions and what each one can do about 2FA.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

``system.version`` returns strings such as ``TrueNAS-13.0-U6.7``, ``TrueNAS-SCALE-23.10.2`` or
``TrueNAS-25.04.2``. ``parse_version`` turns one into a ``TrueNASVersion``; ``capabilities`` maps it
to a ``Capabilities`` profile, the one place where the rest of the collection asks "may I do X on
this box". Each flag cites the section of docs/truenas.md that states it, with its source in the
middleware.
"""

from __future__ import annotations

import re

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError


class UnsupportedVersionError(Fleet2faError):
    """The box runs a version this collection does not drive. The message names host and version."""


_VERSION_RE = re.compile(
    r"^(?P<product>TrueNAS|FreeNAS)(?:-(?P<edition>SCALE|CORE|ENTERPRISE))?-"
    r"(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?(?:\.(?P<build>\d+))?"
    r"(?P<suffix>[-.].*)?$"
)


class TrueNASVersion:
    """A parsed ``system.version`` string; compares by (major, minor, patch)."""

    __slots__ = ("raw", "major", "minor", "patch", "edition")

    def __init__(self, raw, major, minor, patch=0, edition=None):
        self.raw = raw
        self.major = major
        self.minor = minor
        self.patch = patch
        self.edition = edition

    @property
    def tuple(self):
        return (self.major, self.minor, self.patch)

    @property
    def is_core(self):
        # FreeBSD-based releases are 12.x and 13.x; SCALE started at 20.12.
        return self.major < 20

    def __str__(self):
        return self.raw

    def __repr__(self):
        return "TrueNASVersion(%r)" % self.raw


def parse_version(raw, host="the box"):
    """``TrueNASVersion`` for a ``system.version`` string, else ``UnsupportedVersionError``."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    match = _VERSION_RE.match(text)
    if not match:
        raise UnsupportedVersionError(
            "%s answered system.version with %r, which is not a TrueNAS version string" % (host, raw)
        )
    return TrueNASVersion(
        text,
        int(match.group("major")),
        int(match.group("minor")),
        int(match.group("patch") or 0),
        match.group("edition"),
    )


class Capabilities:
    """What one release line can do. Built only through ``capabilities()``."""

    # Defaults describe the newest supported line (26.0); each profile overrides what differs.
    _FIELDS = {
        # A name for results and error messages, e.g. "23.10".
        "profile": None,
        # §3: one global secret (CORE 13, SCALE 22.12); auth.twofactor.config() returns it.
        "global_secret": False,
        # §3: otp_digits and interval live in auth.twofactor (CORE 13, 22.12, 23.10).
        "global_digits_interval": False,
        # §3: on 23.10 changing global otp_digits or interval wipes every user's secret.
        "global_digits_interval_wipe_secrets": False,
        # §4: per-user otp_digits and interval, sent to user.renew_2fa_secret (24.04+).
        "per_user_settings": True,
        # §4: user.provisioning_uri and user.twofactor_config are public (23.10 to 24.10).
        "public_provisioning_uri": False,
        # §4: renew_2fa_secret returns twofactor_config with the provisioning URI (25.04+).
        "renew_returns_uri": True,
        # §4: user.unset_2fa_secret refuses while global 2FA is on (23.10 to 25.04).
        "unset_needs_global_off": False,
        # §2 (CORE): only root can log in to the UI and only root is in users.oath.
        "root_only": False,
        # §5: auth.login_ex / login_ex_continue (25.04+), else auth.login(user, password, otp).
        "login_ex": True,
        # §5: API keys tied to a user, API_KEY_PLAIN through login_ex (25.04+).
        "api_key_login_ex": True,
        # §1: the JSON-RPC 2.0 endpoint /api/current (25.04+), else the DDP-style /websocket.
        "websocket_path": "/api/current",
        # §6: service.control job (25.10+).
        "service_control": True,
        # §6: service.restart/reload/start still public (up to 25.10; private in 26).
        "service_verbs": False,
        # §6: ssh.config rootlogin (CORE 13, 22.12) and adminlogin (22.12); else per-user
        # ssh_password_enabled (23.10+).
        "ssh_rootlogin": False,
        "ssh_adminlogin": False,
        "ssh_user_password_field": True,
        # §4: interval Literal[30, 60] from 26.0; before, any value >= 5.
        "interval_choices": (30, 60),
        # §5: the OTP of an API login is checked by pam_oath, which refuses a replayed code (26+).
        "otp_replay_refused": True,
        # Failure limits the box keeps itself (the report shows them, issue 12):
        # codes one auth.login_ex may try before AUTH_ERR: MAX_OTP_ATTEMPTS = 3 on 25.04 and 25.10
        # (stable/goldeye mw:utils/auth.py:9, checked in mw:plugins/auth.py:1026; fangtooth :1002).
        # None: no count in the middleware (auth.login takes one code a call up to 24.10; PAM checks
        # the code on 26, where the middleware keeps no counter of its own).
        "otp_tries_per_login": None,
        # What locks an account after failed logins in STIG mode (system.security enable_gpos_stig,
        # 25.04+): on 26 pam_truenas's keyring tally (stable/26 mw:utils/account/faillock.py:1-34),
        # whose limits live in pam_truenas, not in the middleware. None: the version has no STIG mode.
        "stig_lockout": "pam_truenas",
        # (deny, unlock_time seconds) of STIG mode's pam_faillock lines where the middleware sets them:
        # MAX_FAILURE = 3, UNLOCK_TIME = 15 * 60 (stable/goldeye mw:utils/account/faillock.py:25-27,
        # used in mw:utils/pam.py:313-334; the same on stable/fangtooth).
        "stig_faillock": None,
    }

    def __init__(self, version, **overrides):
        unknown = set(overrides) - set(self._FIELDS)
        if unknown:
            raise TypeError("unknown capability fields: %s" % ", ".join(sorted(unknown)))
        self.version = version
        for name, default in self._FIELDS.items():
            setattr(self, name, overrides.get(name, default))

    def interval_allowed(self, interval):
        if self.interval_choices is None:
            return isinstance(interval, int) and interval >= 5
        return interval in self.interval_choices

    def as_dict(self):
        data = {name: getattr(self, name) for name in self._FIELDS}
        data["interval_choices"] = list(self.interval_choices) if self.interval_choices else None
        data["stig_faillock"] = list(self.stig_faillock) if self.stig_faillock else None
        return data


_GLOBAL_ERA = dict(
    global_secret=True,
    global_digits_interval=True,
    per_user_settings=False,
    renew_returns_uri=False,
    login_ex=False,
    api_key_login_ex=False,
    websocket_path="/websocket",
    service_control=False,
    service_verbs=True,
    ssh_rootlogin=True,
    ssh_user_password_field=False,
    interval_choices=None,
    otp_replay_refused=False,
    stig_lockout=None,
)

# The failure limits of 25.04 and 25.10 (see the fields above).
_FANGTOOTH_LIMITS = dict(otp_tries_per_login=3, stig_lockout="pam_faillock", stig_faillock=(3, 900))

# The one list of the release lines this collection drives: (lowest version, profile name, the
# releases it was checked against, overrides), newest first; the first line at or below a version
# wins. SUPPORTED, the refusal of newer lines and the truenas doc fragment's note derive from it.
_PROFILES = (
    ((26, 0, 0), "26.0", ("26.0",), {}),
    (
        (25, 10, 0),
        "25.10",
        ("25.10",),
        dict(service_verbs=True, interval_choices=None, otp_replay_refused=False, **_FANGTOOTH_LIMITS),
    ),
    (
        (25, 4, 0),
        "25.04",
        ("25.04",),
        dict(service_control=False, service_verbs=True, interval_choices=None, unset_needs_global_off=True,
             otp_replay_refused=False, **_FANGTOOTH_LIMITS),
    ),
    (
        (24, 4, 0),
        "24.04",
        ("24.04", "24.10"),
        dict(public_provisioning_uri=True, renew_returns_uri=False, unset_needs_global_off=True, login_ex=False,
             api_key_login_ex=False, websocket_path="/websocket", service_control=False, service_verbs=True,
             interval_choices=None, otp_replay_refused=False, stig_lockout=None),
    ),
    (
        (23, 10, 0),
        "23.10",
        ("23.10",),
        dict(global_digits_interval=True, global_digits_interval_wipe_secrets=True, per_user_settings=False,
             public_provisioning_uri=True, renew_returns_uri=False, unset_needs_global_off=True, login_ex=False,
             api_key_login_ex=False, websocket_path="/websocket", service_control=False, service_verbs=True,
             interval_choices=None, otp_replay_refused=False, stig_lockout=None),
    ),
    ((22, 12, 0), "22.12", ("22.12",), dict(_GLOBAL_ERA, ssh_adminlogin=True)),
    ((13, 0, 0), "13.0", ("13.0", "13.3"), dict(_GLOBAL_ERA, root_only=True)),
)
_NEWEST_MAJOR = _PROFILES[0][0][0]

# Lines in between or beyond that this collection has never been checked against (§2).
_UNSUPPORTED = (
    ((_NEWEST_MAJOR + 1, 0, 0), None,
     "is newer than the newest release line this collection knows (%d)" % _NEWEST_MAJOR),
    ((23, 0, 0), (23, 10, 0), "is a SCALE development line this collection does not know"),
    ((14, 0, 0), (22, 12, 0), "is older than SCALE 22.12, the oldest SCALE release this collection supports"),
    ((0, 0, 0), (13, 0, 0), "is older than CORE 13.0, the oldest release this collection supports"),
)

# Every release checked, oldest first: ["13.0", "13.3", "22.12", ...].
SUPPORTED_RELEASES = [release for dummy, dummy2, releases, dummy3 in reversed(_PROFILES) for release in releases]
# "CORE 13.0/13.3, SCALE 22.12, 23.10, ...": CORE lines are 12.x and 13.x, SCALE started at 20.12.
SUPPORTED = "CORE %s, SCALE %s" % (
    "/".join(r for r in SUPPORTED_RELEASES if int(r.split(".")[0]) < 20),
    ", ".join(r for r in SUPPORTED_RELEASES if int(r.split(".")[0]) >= 20),
)


def capabilities(version, host="the box"):
    """The ``Capabilities`` of a ``TrueNASVersion`` (or a raw version string)."""
    if isinstance(version, str):
        version = parse_version(version, host)
    for low, high, why in _UNSUPPORTED:
        if version.tuple >= low and (high is None or version.tuple < high):
            raise UnsupportedVersionError(
                "%s runs %s, which %s; supported: %s" % (host, version.raw, why, SUPPORTED)
            )
    for low, name, dummy, overrides in _PROFILES:
        if version.tuple >= low:
            return Capabilities(version, profile=name, **overrides)
    raise UnsupportedVersionError("%s runs %s; supported: %s" % (host, version.raw, SUPPORTED))
