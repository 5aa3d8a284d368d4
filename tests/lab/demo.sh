#!/usr/bin/env bash
# make demo: a lab of 3 Linux hosts and 3 simulated TrueNAS boxes of different versions, the one-phase
# rollout on it, then a password + code login on every host with a client of our own
# (tests/lab/login_check.py, not the collection's prover), where the QR files and the report are, and
# the lab torn down.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$top/tests/output/collections}
lab=demo
out=$top/tests/output/demo
trap 'tests/lab/fleet down --lab "$lab" >/dev/null 2>&1 || true' EXIT
rm -rf "$out"
mkdir -p "$(dirname "$out")" && mkdir -m 0700 "$out"
# A vault password for this demo's escrow only (the escrow files are ansible-vault encrypted).
head -c 24 /dev/urandom | base64 >"$out/vault-password"
chmod 0600 "$out/vault-password"

echo "== lab: 3 Linux hosts and 3 TrueNAS boxes (13.0, 24.10, 26.0) booting"
tests/lab/fleet up --lab "$lab" --linux 3 --truenas 13.0,24.10,26.0 >/dev/null
inventory=$(tests/lab/fleet inventory --lab "$lab")
echo "== inventory: $inventory"
# One line a host from the default callback (the -o flag and its oneline callback are deprecated in 2.21).
ANSIBLE_CALLBACK_FORMAT_PRETTY=false ansible all -i "$inventory" -m ansible.builtin.ping

echo "== rollout.yml (one phase, as in labs and CI)"
ansible-playbook -i "$inventory" playbooks/rollout.yml --forks 20 \
  --vault-password-file "$out/vault-password" \
  -e fleet2fa_escrow_dir="$out/escrow" -e fleet2fa_qr_dir="$out/qr" -e fleet2fa_report_dir="$out/report" \
  -e fleet2fa_enroll_from_escrow=true

if [[ -f playbooks/report.yml ]]; then
  echo "== report.yml"
  ansible-playbook -i "$inventory" playbooks/report.yml --forks 20 --vault-password-file "$out/vault-password" \
    -e fleet2fa_escrow_dir="$out/escrow" -e fleet2fa_report_dir="$out/report"
fi

echo "== our own client: root logs in with password + code; a wrong code is refused"
python tests/lab/login_check.py fleet "$inventory" "$out/escrow" "$out/vault-password"

echo "== QR files:  $out/qr/<host>/root.png and .svg"
find "$out/qr" -name '*.png' | sort | sed 's/^/   /'
echo "== report:    $out/report/"
find "$out/report" -type f | sort | sed 's/^/   /'
echo "== escrow:    $out/escrow/<host>.yml (ansible-vault view --vault-password-file $out/vault-password ...)"
echo "== tearing the lab down"
