#!/usr/bin/env bash
# Every molecule scenario of the collection, offline: the collection resolved from this checkout
# through ANSIBLE_COLLECTIONS_PATH, the shared settings in extensions/molecule/config.yml.
#
# A scenario runs on a lab it declares in a lab.env beside its molecule.yml:
#   LINUX=3            Linux hosts lin01..lin03
#   TRUENAS=25.10,13.3 TrueNAS simulator hosts tn2510-1, tn133-1
# This script brings up a lab named mol-<scenario> and, for `molecule test -s <scenario>`, exports
# FLEET2FA_INVENTORY (the lab's inventory) and FLEET2FA_VAULT_PASSWORD_FILE (a vault password made
# for the run). `molecule reset` before the test clears what an earlier run left in the scenario's
# ephemeral folder (its state, so a fresh lab is never taken for a converged one), and after it
# the run's test secrets; then the lab goes down and the password with it, whatever happened.
#
# Usage: tests/molecule.sh [scenario...]   (default: every scenario in extensions/molecule)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$top/tests/output/collections}
if [[ $# -gt 0 ]]; then
  scenarios=$*
else
  scenarios=$(cd extensions/molecule && for d in */; do [[ -f $d/molecule.yml ]] && echo "${d%/}"; done)
fi
[[ -n $scenarios ]] || { echo "no molecule scenario found" >&2; exit 1; }

# Reads KEY=VALUE lines (no shell evaluation) of a lab.env into LINUX and TRUENAS.
read_lab_env() {
  LINUX=0 TRUENAS=
  local key value
  while IFS='=' read -r key value; do
    key=${key//[[:space:]]/}
    value=${value//[[:space:]]/}
    case $key in
      '' | '#'*) ;;
      LINUX) LINUX=$value ;;
      TRUENAS) TRUENAS=$value ;;
      *) echo "$1: unknown key $key" >&2; return 1 ;;
    esac
  done <"$1"
  [[ $LINUX =~ ^[0-9]+$ ]] || { echo "$1: LINUX must be a number" >&2; return 1; }
}

lab='' run_dir=''
teardown() {
  if [[ -n $lab ]]; then
    tests/lab/fleet down --lab "$lab" || true
  fi
  if [[ -n $run_dir ]]; then
    rm -rf "$run_dir"
  fi
}
trap teardown EXIT

for s in $scenarios; do
  dir=extensions/molecule/$s
  [[ -f $dir/molecule.yml ]] || { echo "no scenario $s (no $dir/molecule.yml)" >&2; exit 1; }
  [[ -f $dir/lab.env ]] || { echo "scenario $s has no lab.env: nothing to run it on" >&2; exit 1; }
  read_lab_env "$dir/lab.env"
  lab=${FLEET2FA_LAB_PREFIX:+${FLEET2FA_LAB_PREFIX}-}mol-$(tr -c 'a-z0-9\n' '-' <<<"${s,,}" | cut -c1-20)
  echo "== lab $lab for scenario $s: LINUX=$LINUX TRUENAS=${TRUENAS:-none}"
  up=(up --lab "$lab" --linux "$LINUX")
  [[ -z $TRUENAS ]] || up+=(--truenas "$TRUENAS")
  FLEET2FA_INVENTORY=$(tests/lab/fleet "${up[@]}")
  run_dir=$(mktemp -d /tmp/fleet2fa-molecule.XXXXXX)
  (umask 077 && head -c 24 /dev/urandom | base64 >"$run_dir/vault-password")
  export FLEET2FA_INVENTORY FLEET2FA_VAULT_PASSWORD_FILE=$run_dir/vault-password
  molecule reset -s "$s" >/dev/null
  echo "== molecule test -s $s"
  molecule test -s "$s"
  molecule reset -s "$s" >/dev/null
  teardown
  lab='' run_dir=''
  unset FLEET2FA_INVENTORY FLEET2FA_VAULT_PASSWORD_FILE
done
