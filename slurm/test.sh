#!/usr/bin/env bash
# Run mpichan-init's real-Slurm test: start a Slurm cluster on 3 test hosts
# (slurm/test-up.sh), run TestSlurm with MPICHAN_SLURM=1 and the cluster's
# Slurm commands first in PATH, and stop the daemons and remove the hosts
# again whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${MPICHAN_SLURM_STATE:-${TMPDIR:-/tmp}/mpichan-slurm}
bash slurm/test-up.sh
trap 'bash slurm/test-down.sh' EXIT
PATH=$STATE/bin:$PATH MPICHAN_SLURM=1 go test -count=1 -timeout 20m -run 'TestSlurm' -v ./cmd/mpichan-init
