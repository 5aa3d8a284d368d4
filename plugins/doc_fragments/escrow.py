# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``escrow`` option: which escrow, and how to reach it (docs/escrow.md).

The suboptions' types, defaults and choices come from module_utils/_escrow_spec.py, their one home;
only the words are written here.
"""

from __future__ import annotations

import yaml

from ansible_collections.fleet2fa.nas.plugins.module_utils._escrow_spec import SUBOPTIONS

_DESCRIPTIONS = {
    "backend": [
        "Where the secrets are escrowed.",
        "V(file) keeps one ansible-vault encrypted file a host in O(escrow.dir), encrypted with the play's vault secrets.",
        "V(kv) keeps the same document in an OpenBao or HashiCorp Vault KV version 2 engine.",
        "V(totp_engine) keeps the key in the OpenBao or Vault TOTP secrets engine, where it cannot be read back, "
        "and the metadata (devices, times) in KV version 2.",
    ],
    "dir": [
        "Folder of the V(file) backend, created 0700; relative paths are relative to the playbook's folder.",
        "Defaults to C(fleet2fa-escrow) beside the playbook.",
        "Refused, before anything is read or written: a symbolic link, a folder of another user, one that group or "
        "others may write to, and one inside a collection's tree (C(ansible_collections/<namespace>/<name>)), which "
        "C(ansible-galaxy collection install --force) deletes.",
    ],
    "url": "URL of OpenBao or Vault; defaults to the E(BAO_ADDR) or E(VAULT_ADDR) environment variable.",
    "auth_method": "How to log in to OpenBao or Vault.",
    "token": "Token for O(escrow.auth_method=token); defaults to E(BAO_TOKEN) or E(VAULT_TOKEN).",
    "role_id": "AppRole role ID for O(escrow.auth_method=approle).",
    "secret_id": "AppRole secret ID for O(escrow.auth_method=approle).",
    "approle_mount": "Mount point of the AppRole auth method.",
    "kv_mount": "Mount point of the KV version 2 secrets engine.",
    "path_prefix": "Path under O(escrow.kv_mount) that holds one secret a host; also the prefix of the TOTP engine's key names.",
    "totp_mount": "Mount point of the TOTP secrets engine, for O(escrow.backend=totp_engine).",
    "validate_certs": "Whether to check the TLS certificate of OpenBao or Vault.",
    "ca_cert": "CA bundle to check the TLS certificate of OpenBao or Vault with.",
    "timeout": "Seconds to wait for OpenBao or Vault to answer.",
}


def _suboption(name, spec):
    doc = {"description": _DESCRIPTIONS[name], "type": spec["type"]}
    if "choices" in spec:
        doc["choices"] = list(spec["choices"])
    if spec.get("default") is not None:
        doc["default"] = spec["default"]
    return doc


_ESCROW_OPTION = {
    "description": [
        "Which escrow holds the TOTP secrets, and how to reach it. Every suboption has a default: without "
        "O(escrow), the V(file) backend in C(fleet2fa-escrow) beside the playbook.",
        "Set it once for a play with C(module_defaults) of the group C(fleet2fa.nas.escrow); the roles of "
        "the collection build it from C(fleet2fa_escrow) and C(fleet2fa_escrow_dir).",
    ],
    "type": "dict",
    "suboptions": {name: _suboption(name, spec) for name, spec in SUBOPTIONS.items()},
}


class ModuleDocFragment:
    """The ``escrow`` option; DOCUMENTATION is set below."""


# Set after the class: ansible-test's yamllint reads only string literals in a fragment's class body,
# and this text is made from the spec so that it cannot drift from it.
ModuleDocFragment.DOCUMENTATION = yaml.safe_dump({"options": {"escrow": _ESCROW_OPTION}}, sort_keys=False)
