#!/usr/bin/env bash
# Measure the lab: up, ansible ping (cold, then warm over the ControlPersist masters), memory,
# down, and check that down left nothing. The numbers in docs/lab.md come from this script.
# Usage: tests/lab/measure.sh [hosts (default 20)] [lab name (default measure)]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
n=${1:-20}
lab=${2:-measure}
export PATH=$top/.venv/bin:$PATH ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=False
fleet=tests/lab/fleet
trap '$fleet down --lab "$lab" >/dev/null 2>&1 || true' EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
used_mb() { free -m | awk '/^Mem:/ { print $3 }'; }
# Proportional set size of every process of the lab (containers, nspawn), in MB.
lab_pss_mb() {
  local pids
  pids=$(find "/sys/fs/cgroup/systemd/fleet2fa/$lab" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
  for p in $pids; do cat "/proc/$p/smaps_rollup" 2>/dev/null || true; done |
    awk '/^Pss:/ { kb += $2 } END { printf "%.0f", kb / 1024 }'
}
leftovers() {
  { ip netns list | grep -F "f2f.$lab." || true
    ip -d link show | grep -F "alias fleet2fa:$lab" || true
    grep -F "/labs/$lab/" /proc/mounts || true
    ls -d "/sys/fs/cgroup/systemd/fleet2fa/$lab" "/sys/fs/cgroup/unified/fleet2fa/$lab" "/run/fleet2fa/labs/$lab" 2>/dev/null || true
  } | wc -l
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(ansible --version 2>/dev/null | sed -n 1p)"
t=$(now); $fleet image >/dev/null; echo "image (build or cache hit): $(since "$t")"
$fleet down --lab "$lab" 2>/dev/null
mem0=$(used_mb)
t=$(now); inv=$($fleet up --lab "$lab" --linux "$n" 2>/dev/null); echo "up $n hosts: $(since "$t")"
sleep 2
echo "memory after up: +$(( $(used_mb) - mem0 )) MB used (free), lab processes $(lab_pss_mb) MB PSS"
t=$(now); pongs=$(ansible all -i "$inv" -f "$n" -m ansible.builtin.ping | grep -c '"pong"' || true)
echo "ansible ping, cold: $(since "$t") ($pongs/$n pong)"
t=$(now); pongs=$(ansible all -i "$inv" -f "$n" -m ansible.builtin.ping | grep -c '"pong"' || true)
echo "ansible ping, warm: $(since "$t") ($pongs/$n pong)"
echo "memory with ssh masters: +$(( $(used_mb) - mem0 )) MB used (free), lab processes $(lab_pss_mb) MB PSS"
t=$(now); $fleet down --lab "$lab" 2>/dev/null; echo "down: $(since "$t")"
echo "left behind: $(leftovers) netns/link/mount/cgroup/state entries"
