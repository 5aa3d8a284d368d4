#!/usr/bin/env bash
# Every molecule scenario of the collection, offline: prerun off (it would install into ~ and ask
# Galaxy), the collection resolved from this checkout through ANSIBLE_COLLECTIONS_PATH.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scenarios=$(cd extensions/molecule && for d in */; do [[ -f $d/molecule.yml ]] && echo "${d%/}"; done)
[[ -n $scenarios ]] || { echo "no molecule scenario found" >&2; exit 1; }
for s in $scenarios; do
  echo "== molecule test -s $s"
  molecule test -s "$s"
done
