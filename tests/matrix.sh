#!/usr/bin/env bash
# `make test` over the ansible-core lines (FLEET2FA_MATRIX, see the Makefile):
#   1. the newest line's unit tests (a minute: a broken tree stops here);
#   2. the lab suite (integration, and molecule beside it) on the newest line, and beside it two
#      chains of checks: the newest line's sanity, lint, changelog and build in the checkout, and the
#      older lines' unit, sanity and build (and lint on the oldest) in a copy of it, one line after the
#      other. The lab suite's workers mostly sleep (TOTP steps, PAM's failure delay, sshd restarts),
#      so the checks get the CPU they leave. The lab suite holds the older lines' whole rollout
#      (tests/integration/matrix), run with their own ansible-playbook;
#   3. a table of the parts: which ansible-core and Python ran each, how long it took.
#
#   VENV=... OLDER_LINES="2.19 2.20" MATRIX_VENVS=... tests/matrix.sh test   (what make test runs)
#   tests/matrix.sh checks VENV          one line's checks in a copy of the checkout (its log on stdout)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/tests/output/matrix
times=$out/parts.tsv
# What the EXIT trap of run_test needs, set there: the run's lab prefix and the background jobs.
prefix='' bg=''

who() {  # "ansible-core X on Python Y" of a venv
  "$1/bin/python" -c 'import ansible.release as r, platform; print("ansible-core %s on Python %s" % (r.__version__, platform.python_version()))'
}

# part NAME VENV COMMAND...: run one part, say which ansible-core ran it, record its time.
part() {
  local name=$1 venv=$2 ran rc=0 start=$SECONDS
  shift 2
  ran=$(who "$venv")
  echo "== $name: $ran"
  "$@" || rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$ran" "$((SECONDS - start))" "$([[ $rc == 0 ]] && echo ok || echo "FAILED (rc $rc)")" >>"$times"
  echo "== $name: $([[ $rc == 0 ]] && echo ok || echo FAILED) in $((SECONDS - start)) s ($ran)"
  return "$rc"
}

# One line's checks from a copy of the checkout under ansible_collections/fleet2fa/nas: its own
# .ansible (ansible-lint), tests/output and collection link, so the newest line's lab suite and
# this line never share a folder.
checks() {
  local venv=$1 parts=${2:-unit sanity lint build} work copy rc=0 p
  work=$(mktemp -d /tmp/fleet2fa-core.XXXXXX)
  copy=$work/ansible_collections/fleet2fa/nas
  mkdir -p "$copy"
  (cd "$top" && git ls-files -co --exclude-standard -z | tar --null -cf - -T - 2>/dev/null) | tar -C "$copy" -xf -
  (cd "$copy" && git init -q . && git add -A >/dev/null && git -c user.name=ci -c user.email=ci@invalid commit -qm snapshot)
  for p in $parts; do
    part "$p" "$venv" make -C "$copy" --no-print-directory VENV="$venv" FLEET2FA_MATRIX=newest FLEET2FA_OLDER_LINE=1 "$p" || rc=1
  done
  rm -rf "$work"
  return "$rc"
}

table() {
  echo "== make test, part by part (wall clock; after unit, every part ran beside integration)"
  awk -F'\t' '{printf "   %-12s %-40s %5d s  %s\n", $1, $2, $3, $4}' "$times"
  echo "== make test: $1 in $((SECONDS / 60)) min $((SECONDS % 60)) s"
}

kill_tree() {  # a background job and everything it started, children first
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

on_exit() {
  local job
  for job in $bg; do kill_tree "$job"; done
  "$top/tests/lab/fleet" down --prefix "$prefix" >/dev/null 2>&1 || true
}

run_test() {
  local rc=0 line mol newest older=''
  : "${VENV:?}" "${MATRIX_VENVS:?}"
  rm -rf "$out" && mkdir -p "$out" && : >"$times"
  part unit "$VENV" make --no-print-directory unit || { table FAILED; return 1; }
  (
    for p in sanity lint changelog build; do
      part "$p" "$VENV" make --no-print-directory "$p" || echo "$p" >>"$out/failed-newest"
    done
  ) >"$out/checks-newest.log" 2>&1 &
  newest=$!
  bg="$bg $newest"
  echo "== $(who "$VENV"): sanity, lint, changelog and build beside the lab suite (log: $out/checks-newest.log)"
  if [[ -n ${OLDER_LINES// /} ]]; then
    (
      # antsibull-changelog's lint reads the fragments alone, whichever ansible-core is there: the
      # newest line runs it. ansible-lint runs on the newest and the oldest line: what both accept,
      # the lines between accept (the CPU of 2 cores is the budget of make test).
      parts="unit sanity lint build"
      for line in $OLDER_LINES; do
        if ! checks "$MATRIX_VENVS/$line" "$parts" >"$out/core-$line.log" 2>&1; then
          echo "$line" >>"$out/failed-lines"
        fi
        parts="unit sanity build"
      done
    ) &
    older=$!
    bg="$bg $older"
    echo "== ansible-core ${OLDER_LINES// /, }: unit, sanity and build (lint on the oldest) beside the lab suite (logs: $out/core-*.log)"
  fi
  # The labs of a test run carry its prefix, so the teardown spares labs that others use on a
  # shared machine. CI starts from a clean slate: labs that a killed session left are cleared first.
  prefix=t$(printf %05d $((RANDOM % 100000)))
  export FLEET2FA_LAB_PREFIX=$prefix
  if [[ -n ${CI:-} ]]; then "$top/tests/lab/fleet" down --all; fi
  trap 'on_exit' EXIT
  # Molecule's scenarios run beside the integration files, on labs of their own: both mostly wait
  # (sshd restarts, TOTP steps, PAM's failure delay), so one after the other left the CPU idle.
  # Molecule's log is printed whole once it ends, so the two never interleave.
  part molecule "$VENV" make --no-print-directory molecule >"$out/molecule.log" 2>&1 &
  mol=$!
  bg="$bg $mol"
  part integration "$VENV" make --no-print-directory integration || rc=1
  wait "$mol" || rc=1
  cat "$out/molecule.log"
  echo "== waiting for the checks beside the lab suite"
  wait "$newest" || true
  if [[ -s $out/failed-newest ]]; then
    rc=1
    echo "== $(who "$VENV"): $(paste -sd' ' "$out/failed-newest") FAILED; the end of its log ($out/checks-newest.log):"
    tail -n 80 "$out/checks-newest.log"
  fi
  if [[ -n $older ]]; then
    wait "$older" || true
    for line in $OLDER_LINES; do
      if grep -qx "$line" "$out/failed-lines" 2>/dev/null; then
        rc=1
        echo "== ansible-core $line: FAILED; the end of its log ($out/core-$line.log):"
        tail -n 60 "$out/core-$line.log"
      fi
    done
  fi
  bg=''
  table "$([[ $rc == 0 ]] && echo ok || echo FAILED)"
  return "$rc"
}

case ${1:-} in
  test) run_test ;;
  checks) [[ $# == 2 ]] || { echo "usage: $0 checks VENV" >&2; exit 2; }; mkdir -p "$out"; touch "$times"; checks "$2" ;;
  *) echo "usage: $0 test | checks VENV" >&2; exit 2 ;;
esac
