#!/usr/bin/env bash
# Seed ways around the code into a lab whose hosts have 2FA on (after rollout.yml), with plain shell over
# the lab's root key: no part of the collection is used, so that the report's findings are checked
# against weaknesses made independently of the code that finds them.
#
#   tests/lab/seed-weaknesses.sh LAB HOST=WEAKNESS [HOST=WEAKNESS ...]
#
# Weaknesses (the finding id each must give, docs/report.md):
#   pam-oath-sufficient       the pam_oath line of /etc/pam.d/sshd becomes 'sufficient'
#   pam-oath-user-unknown     the pam_oath line gets [success=ok user_unknown=ignore default=die]
#   users-oath-readable       /etc/users.oath becomes 0644 (until the next login: pam_oath rewrites the file 0600)
#   authorized-key-human      a person, alice, gets a users.oath line and an authorized key (her key skips the code)
#   pam-nullok                a person, bob, gets a users.oath line and an empty password (common-auth has nullok)
#   sshd-match-exempt         a Match block read before the fleet2fa drop-in lets root in by host key from 192.0.2.0/24
#   window-wide               the pam_oath line gets window=8
#   truenas-api-key           (TrueNAS) an API key for root, made with midclt on the box
#   truenas-ssh-2fa-off       (TrueNAS) SSH stops asking for the code (auth.twofactor.update)
set -euo pipefail
lab=${1:?usage: seed-weaknesses.sh LAB HOST=WEAKNESS ...}
shift
here=$(cd "$(dirname "$0")" && pwd)
status=$("$here/fleet" status --json)
field() { python3 -c 'import json,sys; lab=[l for l in json.load(sys.stdin) if l["name"]==sys.argv[1]][0]; print(eval(sys.argv[2]))' "$lab" "$1" <<<"$status"; }
key=$(field 'lab["key"]')

on() {  # on HOST SCRIPT: run SCRIPT (given on stdin, so that no quoting is needed) as root on HOST
  local address
  address=$(field "[h['address'] for h in lab['hosts'] if h['name']=='$1'][0]")
  ssh -q -i "$key" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o PreferredAuthentications=publickey "root@$address" sh -eu <<<"$2"
}

# A users.oath line for a person, with a random secret: the lab's own, not the escrow's.
# shellcheck disable=SC2016  # expanded on the host, not here
person='useradd -m -s /bin/bash $who 2>/dev/null || true
hex=$(od -An -N20 -tx1 /dev/urandom | tr -d " \n")
grep -q "[[:space:]]$who[[:space:]]" /etc/users.oath || printf "HOTP/T30/6\t%s\t-\t%s\n" "$who" "$hex" >>/etc/users.oath'

for pair in "$@"; do
  host=${pair%%=*}
  weakness=${pair#*=}
  case $weakness in
    pam-oath-sufficient)
      on "$host" 'sed -i "s/^auth[[:space:]]\+\(required\|requisite\)[[:space:]]\+pam_oath.so/auth sufficient pam_oath.so/" /etc/pam.d/sshd' ;;
    pam-oath-user-unknown)
      on "$host" 'sed -i "s/^auth[[:space:]]\+\(required\|requisite\)[[:space:]]\+pam_oath.so/auth [success=ok user_unknown=ignore default=die] pam_oath.so/" /etc/pam.d/sshd' ;;
    users-oath-readable)
      on "$host" 'chmod 0644 /etc/users.oath' ;;
    window-wide)
      on "$host" 'sed -i "/pam_oath.so/s/window=[0-9]*/window=8/" /etc/pam.d/sshd' ;;
    authorized-key-human)
      on "$host" "who=alice; $person"'
mkdir -p -m 0700 /home/alice/.ssh
rm -f /tmp/alice-key /tmp/alice-key.pub
ssh-keygen -q -t ed25519 -N "" -C alice@laptop -f /tmp/alice-key </dev/null >/dev/null
cat /tmp/alice-key.pub >/home/alice/.ssh/authorized_keys && rm -f /tmp/alice-key /tmp/alice-key.pub
chown -R alice: /home/alice/.ssh && chmod 0600 /home/alice/.ssh/authorized_keys' ;;
    pam-nullok)
      on "$host" "who=bob; $person"'
passwd -d bob >/dev/null </dev/null' ;;
    sshd-match-exempt)
      on "$host" 'printf "Match Address 192.0.2.0/24\n    AuthenticationMethods any\n    HostbasedAuthentication yes\n" >/etc/ssh/sshd_config.d/0-partner-site.conf
sshd -t && systemctl reload ssh' ;;
    truenas-api-key)
      on "$host" 'midclt call api_key.create "{\"name\": \"backup-script\", \"username\": \"root\"}" </dev/null >/dev/null' ;;
    truenas-ssh-2fa-off)
      on "$host" 'midclt call auth.twofactor.update "{\"services\": {\"ssh\": false}}" </dev/null >/dev/null' ;;
    *)
      echo "seed-weaknesses.sh: unknown weakness $weakness (see the head of this script)" >&2
      exit 2 ;;
  esac
  echo "seeded $weakness on $host"
done
