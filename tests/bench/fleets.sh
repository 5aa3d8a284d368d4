#!/usr/bin/env bash
# The three fleets of docs/performance.md, one run each, one after the other (defaults: linear,
# forks = hosts, pipelining): 13 Linux + 7 TrueNAS, 50 Linux, 100 Linux. A measurement, not a test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/rollout.sh"
"$here/rollout.sh" --linux 50 --truenas ''
"$here/rollout.sh" --linux 100 --truenas ''
