# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's action plugins and lookups share: escrow options and safe failures."""

from __future__ import annotations

import contextlib

from ansible.errors import AnsibleActionFail, AnsibleError

from ansible_collections.fleet2fa.nas.plugins.module_utils.deps import MissingLibraryError
from ansible_collections.fleet2fa.nas.plugins.module_utils.totp import TotpError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils.escrow import BACKENDS, EscrowError, open_escrow

# The argument spec of the ``escrow`` doc fragment.
ESCROW_ARGSPEC = {
    "backend": {"type": "str", "choices": list(BACKENDS), "default": "file"},
    "escrow_dir": {"type": "path"},
    "url": {"type": "str"},
    "auth_method": {"type": "str", "choices": ["token", "approle"], "default": "token"},
    "token": {"type": "str", "no_log": True},
    "role_id": {"type": "str", "no_log": True},
    "secret_id": {"type": "str", "no_log": True},
    "approle_mount": {"type": "str", "default": "approle"},
    "kv_mount": {"type": "str", "default": "secret"},
    "path_prefix": {"type": "str", "default": "fleet2fa"},
    "totp_mount": {"type": "str", "default": "totp"},
    "validate_certs": {"type": "bool", "default": True},
    "ca_cert": {"type": "path"},
    "timeout": {"type": "int", "default": 10},
}


def escrow_options(args):
    return {name: args.get(name) for name in ESCROW_ARGSPEC}


def open_for_plugin(plugin, args):
    """The escrow store for an action plugin or a lookup, with the play's vault secrets."""
    loader = plugin._loader
    return open_escrow(escrow_options(args), vault_secrets=loader._vault.secrets, basedir=loader.get_basedir())


@contextlib.contextmanager
def failing_as(error_class=AnsibleActionFail):
    """Turn our errors into Ansible's, keeping their (secret-free) messages and dropping tracebacks."""
    try:
        yield
    except (EscrowError, TotpError, MissingLibraryError) as exc:
        raise error_class(str(exc)) from None


def failing_as_lookup():
    return failing_as(AnsibleError)
