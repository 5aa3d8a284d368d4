#!/usr/bin/env bash
# Debian packages the tests and the lab need on the controller. Idempotent; a stamp keyed by this
# file's content skips apt when nothing changed. Progress goes to stderr, one line a step.
set -euo pipefail
PKGS=(openssh-server openssh-client libpam-oath oathtool debootstrap systemd-container iproute2
      psmisc procps rsync git make python3-venv shellcheck
      # the browser tests (tests/browser): Debian's Chromium and its WebDriver, nothing downloaded
      chromium chromium-driver
      # docs/docsite/rst from the guides in docs/ (tests/docsite.sh)
      pandoc)
cache=${FLEET2FA_CACHE:-/var/cache/fleet2fa}
mkdir -p "$cache"
stamp="$cache/apt-$(sha256sum "$0" | cut -c1-12).stamp"
missing=$(dpkg-query -W -f='${Status} ${Package}\n' "${PKGS[@]}" 2>/dev/null | grep -vc '^install ok installed' || true)
if [[ -f $stamp && $missing == 0 ]] && dpkg-query -W "${PKGS[@]}" >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
echo "setup: apt-get install ${#PKGS[@]} Debian packages (the first time takes a minute or two)" >&2
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
echo "setup: Debian packages ready in $((SECONDS - start)) s" >&2
touch "$stamp"
