# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one home of the ``escrow`` option.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Every plugin that reaches the escrow takes it as one nested option, ``escrow``, so that no option of
a module or an action (a ``timeout``, a ``url``) can ever shadow one of the escrow's: the action
plugins merge ``ARGSPEC`` into their own spec, the host modules of the ``escrow`` action group
accept it, the lookups validate theirs against it, the backend registry takes its defaults from it,
and the ``fleet2fa.nas.escrow`` doc fragment documents these suboptions (a unit test holds the two
together). The backends live in plugin_utils/_escrow/ (see docs/extending.md).
"""

from __future__ import annotations

# Backend names, in the order the documentation lists them; plugin_utils/_escrow/registry.py maps
# each to its class.
BACKENDS = ("file", "kv", "totp_engine")
AUTH_METHODS = ("token", "approle")
# Folder of the file backend when none is given, relative to the playbook's folder.
DEFAULT_DIR = "fleet2fa-escrow"

SUBOPTIONS = dict(
    backend=dict(type="str", choices=list(BACKENDS), default="file"),
    dir=dict(type="path"),
    url=dict(type="str"),
    auth_method=dict(type="str", choices=list(AUTH_METHODS), default="token"),
    token=dict(type="str", no_log=True),
    role_id=dict(type="str", no_log=True),
    secret_id=dict(type="str", no_log=True),
    approle_mount=dict(type="str", default="approle"),
    kv_mount=dict(type="str", default="secret"),
    path_prefix=dict(type="str", default="fleet2fa"),
    totp_mount=dict(type="str", default="totp"),
    validate_certs=dict(type="bool", default=True),
    ca_cert=dict(type="path"),
    timeout=dict(type="int", default=10),
)

# What a backend gets for an option nobody set.
DEFAULTS = {name: spec.get("default") for name, spec in SUBOPTIONS.items()}

# The option itself; apply_defaults gives every plugin a complete dict even when the task has none.
ARGSPEC = dict(escrow=dict(type="dict", options=SUBOPTIONS, apply_defaults=True))
