#!/usr/bin/env bash
# make demo: bring a lab fleet up, run the main job on it, show the result, tear it down.
# Until the rollout playbook lands this shows Ansible reaching every lab host by key.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
lab=demo
trap 'tests/lab/fleet down --lab "$lab" >/dev/null 2>&1 || true' EXIT
tests/lab/fleet up --lab "$lab" --linux 3
inventory=$(tests/lab/fleet inventory --lab "$lab")
echo "== inventory: $inventory"
ansible all -i "$inventory" -m ansible.builtin.ping -o
ansible all -i "$inventory" -m ansible.builtin.command -a 'hostname' -o
echo "== every lab host answered Ansible by key; tearing the lab down"
