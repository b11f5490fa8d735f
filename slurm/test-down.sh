#!/usr/bin/env bash
# Stop the daemons that slurm/test-up.sh started, by the PIDs it recorded,
# and nothing else; then remove the test hosts it made.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
STATE=${MPICHAN_SLURM_STATE:-${TMPDIR:-/tmp}/mpichan-slurm}
[ -s "$STATE/pids" ] || { echo "test-down: nothing recorded in $STATE/pids"; exit 0; }
[ -x "$STATE/bin/scancel" ] && "$STATE/bin/scancel" --user="$(id -un)" 2>/dev/null
# Daemons last to first: slurmd, slurmctld, munged.
pids=$(tac "$STATE/pids" | awk '$1 != "hosts" {print $2}')
for p in $pids; do kill "$p" 2>/dev/null || true; done
for p in $pids; do
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
done
echo "test-down: stopped $(echo "$pids" | wc -w) daemon(s)"
prefix=$(awk '$1 == "hosts" {print $2}' "$STATE/pids")
if [ -n "$prefix" ]; then
  HOSTS_PREFIX=$prefix HOSTS_DIR=$STATE/hosts bash sdk/mpitest/hosts/down.sh
fi
rm -f "$STATE/pids"
