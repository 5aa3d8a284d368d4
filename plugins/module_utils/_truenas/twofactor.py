# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Global 2FA settings and per-user secrets of a TrueNAS box, version by version.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

``build_twofactor_update`` and ``plan_user_secret`` decide from what the box reported and the
version's ``Capabilities``; ``ensure_global`` and ``ensure_user_secret`` read the box, call them and
apply. Results and diffs carry metadata only: never the secret, never the provisioning URI, except
the sealed one under ``_sealed.SEALED_KEY``, which the action plugin opens and removes.
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils import _escrow_spec
from ansible_collections.fleet2fa.nas.plugins.module_utils._sealed import SEALED_KEY, SealError, seal
from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import (
    DEFAULT_DIGITS,
    DEFAULT_PERIOD,
    DIGITS_CHOICES,
    PERIOD_CHOICES,
    TotpError,
    validate_window,
)
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.client import CONNECTION_ARGSPEC, run_ensure
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.errors import CapabilityError

# The options of fleet2fa.nas.truenas_2fa.
GLOBAL_ARGSPEC = dict(
    enabled=dict(type="bool"),
    window=dict(type="int"),
    ssh=dict(type="bool"),
    otp_digits=dict(type="int", choices=list(DIGITS_CHOICES)),
    interval=dict(type="int", choices=list(PERIOD_CHOICES)),
    **CONNECTION_ARGSPEC
)

# The options of fleet2fa.nas.truenas_user_2fa, which its action plugin checks too. The escrow option is
# the action's; the module accepts it so that one task carries both.
USER_SECRET_ARGSPEC = dict(
    user=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    regenerate=dict(type="str", choices=["never", "always"], default="never"),
    otp_digits=dict(type="int", choices=list(DIGITS_CHOICES)),
    interval=dict(type="int", choices=list(PERIOD_CHOICES)),
    secret_escrowed=dict(type="bool", default=False),
    transfer_pad=dict(type="str", no_log=True),
    **dict(CONNECTION_ARGSPEC, **_escrow_spec.ARGSPEC)
)


def public_twofactor_config(caps, config):
    """The global settings worth showing; ``secret`` (CORE, 22.12) never leaves this function."""
    shown = {
        "enabled": bool(config.get("enabled")),
        "window": config.get("window", 0),
        "ssh": bool((config.get("services") or {}).get("ssh", False)),
    }
    if caps.global_digits_interval:
        shown["otp_digits"] = config.get("otp_digits")
        shown["interval"] = config.get("interval")
    if caps.global_secret:
        shown["secret_configured"] = bool(config.get("secret"))
    return shown


def build_twofactor_update(caps, config, where, enabled=None, window=None, ssh=None, otp_digits=None,
                           interval=None):
    """The ``auth.twofactor.update`` payload that brings ``config`` to what was asked ({} if nothing).

    23.10: otp_digits and interval are never sent (a change wipes every user's secret, docs/truenas.md §3).
    24.04+: they are per user; sending them to auth.twofactor.update is a schema error (§3).
    """
    payload = {}
    if enabled is not None and bool(config.get("enabled")) != enabled:
        payload["enabled"] = enabled
    if window is not None and config.get("window", 0) != window:
        payload["window"] = window
    if ssh is not None and bool((config.get("services") or {}).get("ssh", False)) != ssh:
        payload["services"] = {"ssh": ssh}
    for name, wanted in (("otp_digits", otp_digits), ("interval", interval)):
        if wanted is None:
            continue
        if not caps.global_digits_interval:
            raise CapabilityError(where, "%s is not a global setting on %s" % (name, caps.profile),
                                  "digits and interval are per user from 24.04: set them with "
                                  "fleet2fa.nas.truenas_user_2fa")
        if config.get(name) == wanted:
            continue
        if caps.global_digits_interval_wipe_secrets:
            what = "refusing to change the global %s from %s to %s" % (name, config.get(name), wanted)
            raise CapabilityError(where, what, "on 23.10 that wipes every user's 2FA secret; leave it as it is")
        if name == "interval" and not caps.interval_allowed(wanted):
            raise CapabilityError(where, "interval %s is not accepted" % wanted, "use 30 or 60")
        payload[name] = wanted
    return payload


def ensure_global(client, check_mode, **wanted):
    """Read ``auth.twofactor.config``, update what differs; returns a result dict."""
    caps = client.caps
    config = client.twofactor_config()
    payload = build_twofactor_update(caps, config, client.where, **wanted)
    before = public_twofactor_config(caps, config)
    after = dict(before)
    for name, value in payload.items():
        after["ssh" if name == "services" else name] = value["ssh"] if name == "services" else value
    warnings = []
    if payload.get("services", {}).get("ssh") and not caps.global_secret:
        exposed = client.call("user.query", [["ssh_password_enabled", "=", True],
                                             ["twofactor_auth_configured", "=", False]])
        if exposed:
            warnings.append("SSH password logins of %s will fail once SSH 2FA is on: they have no 2FA secret "
                            "(provision one with fleet2fa.nas.truenas_user_2fa first)"
                            % ", ".join(sorted(u["username"] for u in exposed)))
    if payload and not check_mode:
        updated = client.call("auth.twofactor.update", payload)
        if isinstance(updated, dict):
            after = public_twofactor_config(caps, updated)
    return {
        "changed": bool(payload),
        "config": after,
        "diff": {"before": before, "after": after},
        "warnings": warnings,
    }


def run_global(module):
    """The body of fleet2fa.nas.truenas_2fa: a window out of range is refused before the box is called."""
    if module.params["window"] is not None:
        try:
            validate_window(module.params["window"])
        except TotpError as exc:
            module.fail_json(msg=str(exc))
    run_ensure(module, ensure_global, ("enabled", "window", "ssh", "otp_digits", "interval"))


def plan_user_secret(caps, where, user, state, regenerate, has_secret, escrowed, global_config,
                     otp_digits=None, interval=None):
    """What to do about one user's secret: a dict of ``action`` and ``read_uri``.

    ``action`` is ``none``, ``renew`` (a new secret; the box makes it) or ``unset``. ``read_uri``
    says to read the current secret from the box without changing it, which only the versions
    that still expose it allow (CORE/22.12 global config, 23.10-24.10 user.provisioning_uri).
    """
    if caps.root_only and user != "root":
        raise CapabilityError(where, "user %s cannot have a 2FA secret on CORE" % user,
                              "CORE has one global secret, used by root only")
    if interval is not None and not caps.interval_allowed(interval):
        raise CapabilityError(where, "interval %s is refused by %s" % (interval, caps.profile), "use 30 or 60")
    if state == "absent":
        if not has_secret:
            return {"action": "none", "read_uri": False}
        if caps.global_secret:
            raise CapabilityError(where, "the global secret of %s cannot be removed" % caps.profile,
                                  "disable 2FA with fleet2fa.nas.truenas_2fa enabled=false instead")
        if caps.unset_needs_global_off and global_config.get("enabled"):
            raise CapabilityError(where, "cannot remove the 2FA secret of %s while global 2FA is on" % user,
                                  "%s refuses user.unset_2fa_secret then; disable 2FA first" % caps.profile)
        return {"action": "unset", "read_uri": False}
    if caps.global_digits_interval:
        for name, wanted in (("otp_digits", otp_digits), ("interval", interval)):
            if wanted is not None and global_config.get(name) != wanted:
                raise CapabilityError(
                    where, "%s %s differs from the box's global %s %s" % (name, wanted, name, global_config.get(name)),
                    "on %s %s is global; %s" % (caps.profile, name, "changing it wipes every user's secret"
                                                if caps.global_digits_interval_wipe_secrets
                                                else "set it with fleet2fa.nas.truenas_2fa"))
    if regenerate == "always" or not has_secret:
        return {"action": "renew", "read_uri": False}
    if escrowed:
        return {"action": "none", "read_uri": False}
    if caps.global_secret or caps.public_provisioning_uri:
        return {"action": "none", "read_uri": True}
    raise CapabilityError(
        where, "user %s has a 2FA secret that the escrow does not hold" % user,
        "%s reveals a secret only when it makes a new one; run with regenerate=always to rotate it "
        "(devices enrolled with the old secret stop working)" % caps.profile)


def renew_params(caps, user, otp_digits=None, interval=None):
    """(method, params) that make a new secret on this version."""
    if caps.global_secret:
        return "auth.twofactor.renew_secret", ()
    if caps.per_user_settings:
        options = {"otp_digits": otp_digits or DEFAULT_DIGITS, "interval": interval or DEFAULT_PERIOD}
        return "user.renew_2fa_secret", (user, options)
    return "user.renew_2fa_secret", (user,)


def _read_uri(client, caps, user):
    if caps.global_secret:
        return client.call("auth.twofactor.provisioning_uri")
    return client.call("user.provisioning_uri", user)


def ensure_user_secret(client, check_mode, user, state="present", regenerate="never", otp_digits=None,
                       interval=None, secret_escrowed=False, transfer_pad=None):
    caps = client.caps
    if interval is not None and not caps.interval_allowed(interval):
        # Refused before anything else is asked of the box (26 takes only 30 and 60).
        raise CapabilityError(client.where, "interval %s is refused by %s" % (interval, caps.profile), "use 30 or 60")
    # The global settings matter to the global-secret versions, to 23.10's global digits and to unset;
    # skipping the read elsewhere saves a round trip a user (a midclt call costs a process on the box).
    needs_global = caps.global_secret or state == "absent" or (
        caps.global_digits_interval and (otp_digits is not None or interval is not None))
    global_config = client.twofactor_config() if needs_global else {}
    if caps.global_secret:
        has_secret = bool(global_config.get("secret"))
    else:
        has_secret = bool(client.user(user).get("twofactor_auth_configured"))
    plan = plan_user_secret(caps, client.where, user, state, regenerate, has_secret, secret_escrowed, global_config,
                            otp_digits, interval)
    action = plan["action"]
    if action == "renew" and caps.global_secret and not global_config.get("enabled") and not check_mode:
        raise CapabilityError(client.where, "cannot make the global 2FA secret while 2FA is disabled",
                              "%s makes it on auth.twofactor.renew_secret only with 2FA enabled: run "
                              "fleet2fa.nas.truenas_2fa enabled=true first" % caps.profile)
    result = {
        # Reading a secret the escrow lacks changes the escrow, which the action plugin writes.
        "changed": action != "none" or plan["read_uri"],
        "user": user,
        "new_secret": action == "renew",
        "rotated": action == "renew" and has_secret,
        "secret_configured": (action == "renew") or (has_secret and action != "unset"),
        "diff": {"before": {"user": user, "secret_configured": has_secret},
                 "after": {"user": user, "secret_configured": (action == "renew") or (has_secret and action != "unset"),
                           "regenerated": action == "renew" and has_secret}},
    }
    if check_mode:
        return result
    uri = None
    if action == "unset":
        client.call("user.unset_2fa_secret", user)
    elif action == "renew":
        method, params = renew_params(caps, user, otp_digits, interval)
        reply = client.call(method, *params)
        if caps.renew_returns_uri:
            uri = ((reply or {}).get("twofactor_config") or {}).get("provisioning_uri")
        else:
            uri = _read_uri(client, caps, user)
    elif plan["read_uri"]:
        uri = _read_uri(client, caps, user)
    if uri is not None:
        if not isinstance(uri, str) or not uri.startswith("otpauth://"):
            raise CapabilityError(client.where, "the box did not return a provisioning URI for %s" % user)
        try:
            result[SEALED_KEY] = seal(uri, transfer_pad)
        except SealError as exc:
            raise CapabilityError(client.where, "cannot hand the new secret of %s to the escrow" % user,
                                  "%s; run the task through the collection's action plugin" % exc) from None
    return result


def run_user_secret(module):
    """The body of fleet2fa.nas.truenas_user_2fa (its action plugin escrows what it returns)."""
    run_ensure(module, ensure_user_secret, ("user", "state", "regenerate", "otp_digits", "interval", "secret_escrowed",
                                            "transfer_pad"))
