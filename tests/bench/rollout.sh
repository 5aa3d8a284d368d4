#!/usr/bin/env bash
# Rollout speed against the floor of any Ansible run (DESIGN.md, "Speed"): on one lab, the warm
# `ansible all -m ping`, a first rollout.yml and a re-run, all with the same forks; prints the
# ratios and tears the lab down. A measurement, not a test: nothing here passes or fails on time.
#
# Usage: tests/bench/rollout.sh [--linux N] [--truenas V1,V2,...] [--runs K] [--strategy linear|free]
#   default: 13 Linux hosts + one TrueNAS box of each profile (20 hosts), 1 run
#   all Linux: tests/bench/rollout.sh --linux 50 --truenas ''
#   the three fleets of docs/performance.md, one run each: tests/bench/fleets.sh
# After the timed re-run, a third (untimed) run at -vvv counts the host calls a host makes on a
# re-run: every SSH command Ansible sends to it (with pipelining, one a module execution).
# The lab is named $FLEET2FA_LAB_PREFIX-bench (or bench-rollout), so colleagues' benches do not meet.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$top/tests/output/collections}
export ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=False
linux=13 truenas=13.0,22.12,23.10,24.10,25.04,25.10,26.0 runs=1 strategy=linear
while [[ $# -gt 0 ]]; do
  case $1 in
    --linux) linux=$2; shift 2 ;;
    --truenas) truenas=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --strategy) strategy=$2; shift 2 ;;
    *) echo "usage: $0 [--linux N] [--truenas V1,V2,...] [--runs K] [--strategy linear|free]" >&2; exit 2 ;;
  esac
done
lab=${FLEET2FA_LAB_PREFIX:+$FLEET2FA_LAB_PREFIX-bench}
lab=${lab:-bench-rollout}
work=$(mktemp -d /tmp/fleet2fa-bench.XXXXXX)
trap 'tests/lab/fleet down --lab "$lab" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
(umask 077 && head -c 24 /dev/urandom | base64 >"$work/vault-password")

up=(up --lab "$lab" --linux "$linux")
[[ -z $truenas ]] || up+=(--truenas "$truenas")
inventory=$(tests/lab/fleet "${up[@]}")
boxes=0
[[ -z $truenas ]] || boxes=$(tr ',' '\n' <<<"$truenas" | wc -l)
hosts=$((linux + boxes))
forks=$hosts
echo "lab: $linux Linux + ${truenas:-no} TrueNAS ($hosts hosts), forks $forks, strategy $strategy, ansible-core $(python -c "import ansible.release as r; print(r.__version__)"), load $(cut -d' ' -f1-3 /proc/loadavg)"

# Seconds (wall clock) that a command takes; its output goes to $work/<label>.log.
timed() {
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/$label.log" 2>&1 || { echo "$label failed:" >&2; tail -40 "$work/$label.log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
rollout() {
  ANSIBLE_CALLBACK_PLUGINS=$top/tests/bench/callback_plugins ANSIBLE_CALLBACKS_ENABLED=task_clock ansible-playbook -i "$inventory" playbooks/rollout.yml --forks "$forks" \
    --vault-password-file "$work/vault-password" -e fleet2fa_escrow_dir="$work/escrow" \
    -e fleet2fa_qr_dir="$work/qr" -e fleet2fa_report_dir="$work/report" -e fleet2fa_enroll_from_escrow=true -e fleet2fa_strategy="$strategy" "$@"
}
ping_all() { ansible all -i "$inventory" -m ansible.builtin.ping --forks "$forks"; }

for run in $(seq 1 "$runs"); do
  if [[ $run -gt 1 ]]; then  # a fresh fleet for each first run
    inventory=$(tests/lab/fleet "${up[@]}")
    rm -rf "$work/escrow" "$work/qr" "$work/report"
  fi
  timed ping-cold ping_all >/dev/null  # opens the ControlPersist masters
  floor=$(timed ping ping_all)
  first=$(timed first rollout)
  floor2=$(timed ping2 ping_all)
  again=$(timed rerun rollout)
  changed=$(grep -E '^\S+ +: ok=' "$work/rerun.log" | grep -cv 'changed=0' || true)
  printf 'run %d: ping %.1f s (after the rollout %.1f s), first rollout %.1f s = %.1fx, re-run %.1f s = %.1fx (hosts with changes on the re-run: %d)\n' \
    "$run" "$floor" "$floor2" "$first" "$(echo "$first / $floor" | bc -l)" "$again" "$(echo "$again / $floor" | bc -l)" "$changed"
done
rollout -vvv >"$work/count.log" 2>&1 || { echo "counting run failed:" >&2; tail -40 "$work/count.log" >&2; exit 1; }
python3 - "$inventory" "$work/count.log" <<'PY'
import collections, re, sys, yaml
inv = yaml.safe_load(open(sys.argv[1]))
where = {}
def walk(group, node):
    for name, hv in ((node or {}).get("hosts") or {}).items():
        where[str((hv or {}).get("ansible_host", name))] = (name, group)
    for child, sub in ((node or {}).get("children") or {}).items():
        walk(child, sub)
walk("all", inv.get("all", inv))
calls = collections.Counter()
for line in open(sys.argv[2], errors="replace"):
    m = re.match(r"^<([^>]+)> SSH: EXEC ", line)
    if m and m.group(1) in where:
        calls[where[m.group(1)]] += 1
by_group = collections.defaultdict(list)
for (name, group), n in calls.items():
    by_group[group].append(n)
for (name, group) in set(where.values()):
    if (name, group) not in calls:
        by_group[group].append(0)
print("host calls a host on a re-run (SSH commands, counted at -vvv): " + ", ".join(
    "%s min %d / max %d (%d hosts)" % (g, min(v), max(v), len(v)) for g, v in sorted(by_group.items())))
PY
echo "where the time went (seconds a task, all hosts together), first run then re-run:"
for label in first rerun; do
  echo "-- $label"
  grep '^task-clock' "$work/$label.log" | sed 's/^task-clock //' | sort -rn | head -8
done
