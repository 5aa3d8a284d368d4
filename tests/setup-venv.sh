#!/usr/bin/env bash
# Builds (or reuses) the controller venv of one ansible-core line and prints its path on stdout.
#
#   tests/setup-venv.sh [LINE]     LINE: 2.19 (Python 3.11), 2.20 (Python 3.12) or 2.21 (the newest
#                                  Python >= 3.12 on the machine); default 2.21
#
# These are the lines and interpreters DESIGN.md supports (meta/runtime.yml: >=2.19). FLEET2FA_PYTHON
# picks the interpreter by hand. A venv lives in the cache, keyed by its Python version, its line and
# the requirements, so a fresh clone (as in CI) reuses it; two builders of one venv take turns.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${FLEET2FA_CACHE:-/var/cache/fleet2fa}
line=${1:-2.21}
case $line in
  2.19) wanted=(3.11) ;;
  2.20) wanted=(3.12) ;;
  2.21) wanted=(3.14 3.13 3.12) ;;
  *) echo "setup-venv: unknown ansible-core line '$line' (2.19, 2.20 or 2.21)" >&2; exit 2 ;;
esac
next=$(awk -F. '{printf "%d.%d", $1, $2 + 1}' <<<"$line")
pick_python() {
  local v c
  if [[ -n ${FLEET2FA_PYTHON:-} ]]; then echo "$FLEET2FA_PYTHON"; return; fi
  for v in "${wanted[@]}"; do
    for c in "$HOME"/.pyenv/versions/"$v".*/bin/python"$v" /usr/local/bin/python"$v" /usr/bin/python"$v"; do
      if [[ -x $c ]] && "$c" -c 'import venv, ensurepip' 2>/dev/null; then echo "$c"; return; fi
    done
  done
  echo "setup-venv: ansible-core $line needs Python ${wanted[*]} with venv and ensurepip; none found" >&2
  exit 1
}
py=$(pick_python)
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
core="ansible-core>=$line,<$next"
key=$( { echo "$ver $core"; cat "$here/requirements.txt"; } | sha256sum | cut -c1-12)
venv="$cache/venv-py$ver-core$line-$key"
if [[ ! -f $venv/.complete ]]; then
  mkdir -p "$cache"
  exec 9>"$venv.lock"
  flock 9
  if [[ ! -f $venv/.complete ]]; then
    start=$SECONDS
    echo "setup: building the ansible-core $line venv on Python $ver ($venv); a minute or two the first time" >&2
    rm -rf "$venv"
    # pip's own output goes to a log beside the venv, shown only when the build fails
    if ! { "$py" -m venv "$venv" &&
           "$venv/bin/pip" install -q --disable-pip-version-check -U pip &&
           "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt" "$core"; } \
         >"$venv.log" 2>&1; then
      tail -n 40 "$venv.log" >&2
      echo "setup: building the ansible-core $line venv failed (log: $venv.log)" >&2
      exit 1
    fi
    touch "$venv/.complete"
    echo "setup: ansible-core $line venv ready in $((SECONDS - start)) s" >&2
  fi
fi
echo "$venv"
