#!/usr/bin/env bash
# Builds (or reuses) the controller venv and prints its path on stdout.
# The newest Python >= 3.11 on the machine wins: 3.12+ gets ansible-core 2.21, 3.11 gets 2.19.
# The venv lives in the cache, keyed by interpreter version and requirements, so a fresh clone
# (as in CI) reuses it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${FLEET2FA_CACHE:-/var/cache/fleet2fa}
pick_python() {
  local v c
  if [[ -n ${FLEET2FA_PYTHON:-} ]]; then echo "$FLEET2FA_PYTHON"; return; fi
  for v in 3.14 3.13 3.12 3.11; do
    for c in "$HOME"/.pyenv/versions/"$v".*/bin/python"$v" /usr/local/bin/python"$v" /usr/bin/python"$v"; do
      if [[ -x $c ]] && "$c" -c 'import venv, ensurepip' 2>/dev/null; then echo "$c"; return; fi
    done
  done
  echo "no Python >= 3.11 with venv and ensurepip found" >&2; exit 1
}
py=$(pick_python)
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
key=$( { echo "$ver"; cat "$here/requirements.txt"; } | sha256sum | cut -c1-12)
venv="$cache/venv-$ver-$key"
if [[ ! -f $venv/.complete ]]; then
  rm -rf "$venv"; mkdir -p "$cache"
  "$py" -m venv "$venv" >&2
  "$venv/bin/pip" install -q -U pip >&2
  "$venv/bin/pip" install -q -r "$here/requirements.txt" >&2
  touch "$venv/.complete"
fi
echo "$venv"
