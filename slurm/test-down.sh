#!/usr/bin/env bash
# Stop the daemons that slurm/test-up.sh started, by the PIDs it recorded,
# and nothing else.
set -uo pipefail
STATE=${MPICHAN_SLURM_STATE:-${TMPDIR:-/tmp}/mpichan-slurm}
[ -s "$STATE/pids" ] || { echo "test-down: nothing recorded in $STATE/pids"; exit 0; }
scancel --user="$(id -un)" 2>/dev/null || true
# Daemons last to first: slurmd, slurmctld, munged.
pids=$(tac "$STATE/pids" | awk '{print $2}')
for p in $pids; do kill "$p" 2>/dev/null || true; done
for p in $pids; do
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
done
rm -f "$STATE/pids"
echo "test-down: stopped $(echo "$pids" | wc -w) daemon(s)"
