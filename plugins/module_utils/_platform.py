# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two modules that work on either kind of host, preflight and otp_state_info: options and bodies.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Each picks the wing (_linux/ or _truenas/) and hands the host to it; nothing about a platform is
decided here but which one it is.
"""

from __future__ import annotations

import time

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.layout import DEFAULT_PAM_MODULE, DEFAULT_PATHS
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.preflight import linux_preflight
from ansible_collections.fleet2fa.nas.plugins.module_utils._linux.state import linux_state
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas import client as truenas_client
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.preflight import truenas_preflight
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.state import truenas_state

PLATFORMS = ("linux", "truenas")

# fleet2fa.nas.preflight; its action plugin checks the task against the same spec.
PREFLIGHT_SPEC = dict(
    backend=dict(type="str", required=True, choices=list(PLATFORMS)),
    max_clock_skew=dict(type="int", default=30),
    allow_password_connection=dict(type="bool", default=False, no_log=False),
    pam_file=dict(type="path", default=DEFAULT_PATHS["pam_file"]),
    pam_module=dict(type="str", default=DEFAULT_PAM_MODULE),
    sshd_path=dict(type="path"),
    api_port=dict(type="int", default=443),
)

# fleet2fa.nas.otp_state_info.
STATE_INFO_SPEC = dict(
    platform=dict(type="str", default="auto", choices=["auto"] + list(PLATFORMS)),
    usersfile=dict(type="path", default=DEFAULT_PATHS["usersfile"]),
    pam_file=dict(type="path", default=DEFAULT_PATHS["pam_file"]),
    sshd_config=dict(type="path", default=DEFAULT_PATHS["sshd_config"]),
    dropin=dict(type="path", default=DEFAULT_PATHS["dropin"]),
    backup_dir=dict(type="path", default=DEFAULT_PATHS["backup_dir"]),
    **truenas_client.CONNECTION_ARGSPEC
)


def _run_in_c_locale(module):
    return lambda argv: module.run_command(argv, environ_update={"LC_ALL": "C"})


def run_preflight(module):
    """One module call a host: the host's own checks, and the host's clock for the action plugin."""
    result = {"changed": False, "host_time": time.time()}
    if module.params["backend"] == "linux":
        found, problems = linux_preflight(module.params, module.run_command)
    else:
        found, problems = truenas_preflight(module)
    result.update(found, problems=problems)
    module.exit_json(**result)


def platform_of(module):
    """``platform`` as asked, or for ``auto``: truenas where midclt is (or the middleware is remote), else linux."""
    platform = module.params["platform"]
    if platform != "auto":
        return platform
    if module.params["transport"] == "websocket" or truenas_client.find_midclt(module):
        return "truenas"
    return "linux"


def run_state_info(module):
    """Read, never change, the host's 2FA state."""
    if platform_of(module) == "truenas":
        truenas_client.run(module, lambda client: dict(truenas_state(client), changed=False))
    try:
        state = linux_state(module.params, _run_in_c_locale(module))
    except (Fleet2faError, OSError, ValueError) as exc:
        module.fail_json(msg="cannot read the 2FA state: %s" % exc)
    module.exit_json(changed=False, **state)
