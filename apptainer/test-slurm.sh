#!/usr/bin/env bash
# apptainer/test-slurm.sh WORK MPI...: the Slurm half of apptainer/test.sh.
# Starts the test Slurm cluster (slurm/test-up.sh: 3 hosts, global, so run
# this under flock /tmp/mpichan-global.lock), submits each project
# WORK/mc-MPI's slurm/job-apptainer.sbatch with sbatch --wait, its SIF being
# WORK/img-MPI/image.sif, and copies the job's output to WORK/slurm-MPI.log.
# Apptainer is not installed, so WORK/bin/apptainer stands in for it:
# `apptainer exec SIF CMD...` runs exec.sh on the root built next to SIF.
# The cluster is stopped again whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$1
shift
STATE=${MPICHAN_SLURM_STATE:-${TMPDIR:-/tmp}/mpichan-slurm}

mkdir -p "$work/bin"
cat >"$work/bin/apptainer" <<SH
#!/bin/sh
# Stand-in for apptainer (written by apptainer/test-slurm.sh): only
# "apptainer exec SIF CMD...", run in the root that build.sh left next to SIF.
if [ "\$1" != exec ] || [ \$# -lt 3 ]; then
  echo "apptainer (test stand-in): only 'exec SIF COMMAND...' is supported, not: \$*" >&2
  exit 1
fi
sif=\$2
shift 2
exec bash "$repo/apptainer/exec.sh" "\$(dirname "\$sif")/rootfs" "\$@"
SH
chmod +x "$work/bin/apptainer"

bash slurm/test-up.sh >"$work/slurm-up.log" 2>&1 || { cat "$work/slurm-up.log" >&2; exit 1; }
trap 'bash slurm/test-down.sh >/dev/null 2>&1' EXIT

# Open MPI goes over the hosts' network with UCX (as in slurm/README.md);
# MPICH keeps UCX's own choice.
ompi_env=UCX_TLS=tcp,self,UCX_NET_DEVICES=eth0,OMPI_MCA_pml=ucx,OMPI_MCA_osc=ucx,OMPI_MCA_pml_ucx_tls=any,OMPI_MCA_pml_ucx_devices=any
for mpi in "$@"; do
  env=MPICHAN_SIF=$work/img-$mpi/image.sif
  [ "$mpi" = openmpi ] && env=$env,$ompi_env
  echo "== sbatch --wait slurm/job-apptainer.sbatch ($mpi image; apptainer exec = apptainer/exec.sh)"
  status=0
  id=$(cd "$work/mc-$mpi" && PATH=$work/bin:$PATH timeout 300 "$STATE/bin/sbatch" --parsable --wait \
    --time 00:03:00 --export="ALL,$env" slurm/job-apptainer.sbatch) || status=$?
  id=${id%%;*}
  cp "$work/mc-$mpi/mc-$mpi-sif-$id.out" "$work/slurm-$mpi.log" 2>/dev/null || : >"$work/slurm-$mpi.log"
  echo "job $id ended with status $status" >>"$work/slurm-$mpi.log"
done
