#!/bin/sh
# Vault password of this scenario run (ANSIBLE_VAULT_PASSWORD_FILE runs it): made once, 0600.
set -eu
work=${FLEET2FA_MOLECULE_WORK:?}
mkdir -p "$work"
if [ ! -s "$work/vault-password" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 >"$work/vault-password")
fi
cat "$work/vault-password"
