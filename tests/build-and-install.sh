#!/usr/bin/env bash
# The collection as users get it: build the tarball, install it into an empty path, and list its
# plugins from there with nothing of this checkout on the collections path.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/fleet2fa-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build "$top" --output-path "$work/dist" --force >/dev/null
tarball=$(ls "$work"/dist/fleet2fa-nas-*.tar.gz)
ansible-galaxy collection install "$tarball" -p "$work/colls" --force >/dev/null 2>&1
listing=$(ANSIBLE_COLLECTIONS_PATH="$work/colls" ansible-doc -l fleet2fa.nas)
echo "$listing"
expected=$(find "$top/plugins/modules" -maxdepth 1 -name '*.py' ! -name '__init__.py' -printf '%f\n' | sed 's/\.py$//' | sort)
for name in $expected; do
  grep -q "^fleet2fa\.nas\.$name " <<<"$listing" || { echo "ansible-doc -l does not list fleet2fa.nas.$name" >&2; exit 1; }
done
for name in $expected; do
  ANSIBLE_COLLECTIONS_PATH="$work/colls" ansible-doc "fleet2fa.nas.$name" >/dev/null
done
echo "built $(basename "$tarball"), installed into an empty path, $(wc -w <<<"$expected") modules documented"
