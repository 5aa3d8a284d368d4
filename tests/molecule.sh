#!/usr/bin/env bash
# Every molecule scenario of the collection, offline: prerun off (it would install into ~ and ask
# Galaxy), the collection resolved from this checkout through ANSIBLE_COLLECTIONS_PATH.
#
# A scenario that needs lab hosts says so in a lab.env beside its molecule.yml:
#   LINUX=3            Linux hosts lin01..lin03
#   TRUENAS=25.10,13.3 TrueNAS simulator hosts tn2510-1, tn133-1
# This script then brings up a lab named mol-<scenario>, exports FLEET2FA_LAB (its name) and
# FLEET2FA_LAB_INVENTORY (its inventory, for `provisioner.inventory.links.hosts`), runs
# `molecule test -s <scenario>` and tears the lab down, whatever happened.
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

lab=
teardown() {
  if [[ -n $lab ]]; then
    tests/lab/fleet down --lab "$lab" || true
  fi
}
trap teardown EXIT

for s in $scenarios; do
  dir=extensions/molecule/$s
  [[ -f $dir/molecule.yml ]] || { echo "no scenario $s (no $dir/molecule.yml)" >&2; exit 1; }
  if [[ -f $dir/lab.env ]]; then
    read_lab_env "$dir/lab.env"
    lab=${FLEET2FA_LAB_PREFIX:+${FLEET2FA_LAB_PREFIX}-}mol-$(tr -c 'a-z0-9\n' '-' <<<"${s,,}" | cut -c1-20)
    echo "== lab $lab for scenario $s: LINUX=$LINUX TRUENAS=${TRUENAS:-none}"
    up=(up --lab "$lab" --linux "$LINUX")
    [[ -z $TRUENAS ]] || up+=(--truenas "$TRUENAS")
    FLEET2FA_LAB_INVENTORY=$(tests/lab/fleet "${up[@]}")
    export FLEET2FA_LAB=$lab FLEET2FA_LAB_INVENTORY
  fi
  echo "== molecule test -s $s"
  molecule test -s "$s"
  teardown
  lab=
  unset FLEET2FA_LAB FLEET2FA_LAB_INVENTORY
done
