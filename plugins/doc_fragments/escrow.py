# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options that choose and reach the escrow (docs/escrow.md)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  backend:
    description:
      - Where the secrets are escrowed.
      - V(file) keeps one ansible-vault encrypted file a host in O(escrow_dir), encrypted with the play's vault secrets.
      - V(kv) keeps the same document in an OpenBao or HashiCorp Vault KV version 2 engine.
      - V(totp_engine) keeps the key in the OpenBao or Vault TOTP secrets engine, where it cannot be read back,
        and the metadata (devices, times) in KV version 2.
    type: str
    choices: [file, kv, totp_engine]
    default: file
  escrow_dir:
    description:
      - Folder of the V(file) backend, created 0700; relative paths are relative to the playbook's folder.
      - Defaults to C(fleet2fa-escrow) beside the playbook.
    type: path
  url:
    description: URL of OpenBao or Vault; defaults to the E(BAO_ADDR) or E(VAULT_ADDR) environment variable.
    type: str
  auth_method:
    description: How to log in to OpenBao or Vault.
    type: str
    choices: [token, approle]
    default: token
  token:
    description: Token for O(auth_method=token); defaults to E(BAO_TOKEN) or E(VAULT_TOKEN).
    type: str
  role_id:
    description: AppRole role ID for O(auth_method=approle).
    type: str
  secret_id:
    description: AppRole secret ID for O(auth_method=approle).
    type: str
  approle_mount:
    description: Mount point of the AppRole auth method.
    type: str
    default: approle
  kv_mount:
    description: Mount point of the KV version 2 secrets engine.
    type: str
    default: secret
  path_prefix:
    description:
      - Path under O(kv_mount) that holds one secret a host; also the prefix of the TOTP engine's key names.
    type: str
    default: fleet2fa
  totp_mount:
    description: Mount point of the TOTP secrets engine, for O(backend=totp_engine).
    type: str
    default: totp
  validate_certs:
    description: Whether to check the TLS certificate of OpenBao or Vault.
    type: bool
    default: true
  ca_cert:
    description: CA bundle to check the TLS certificate of OpenBao or Vault with.
    type: path
  timeout:
    description: Seconds to wait for OpenBao or Vault.
    type: int
    default: 10
"""
