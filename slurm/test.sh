#!/usr/bin/env bash
# Run mpichan-init's real-Slurm test: start a local Slurm, run the test with
# MPICHAN_SLURM=1, stop the daemons again whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash slurm/test-up.sh
trap 'bash slurm/test-down.sh' EXIT
MPICHAN_SLURM=1 go test -count=1 -run 'TestSlurm' -v ./cmd/mpichan-init
