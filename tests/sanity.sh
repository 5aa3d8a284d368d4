#!/usr/bin/env bash
# ansible-test must run from inside ansible_collections/<ns>/<name> (a real path, not a symlink):
# copy the tracked and untracked-but-not-ignored files there and run sanity and units.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$top/.venv}
py=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PY="$venv/bin/python" "$top/tests/ansible-test-bootstrap.sh"
work=$(mktemp -d /tmp/fleet2fa-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/fleet2fa/nas"
mkdir -p "$dest"
(cd "$top" && git ls-files -co --exclude-standard -z | tar --null -cf - -T - 2>/dev/null) | tar -C "$dest" -xf -
cd "$dest"
git init -q . && git add -A >/dev/null && git -c user.name=ci -c user.email=ci@invalid commit -qm snapshot
export PATH="$venv/bin:$PATH"
v=$(ansible --version); echo "ansible-test sanity with ${v%%$'\n'*} on Python $py"
ansible-test sanity --venv --python "$py" --color no "$@"
