#!/usr/bin/env bash
# apptainer/test.sh: the generated Apptainer image really built and run
# (what `make test-container` runs; needs root).
#
# For Open MPI and for MPICH: mpichan-init makes a montecarlo project for
# 3 nodes x 1 task; build.sh builds its apptainer/job.def as apptainer
# build would (both images, and apptainer/mpichan-base.def's, at once);
# each image's MPI must be the host's release; then 3 ranks of the job run
# inside the image under the host's launcher (mpirun / mpiexec.hydra, each
# rank started through exec.sh as `apptainer run` would: %runscript with
# %environment), and under the test Slurm cluster the project's
# slurm/job-apptainer.sbatch is submitted (sbatch --wait), with an
# `apptainer` on PATH that runs exec.sh on the image's root (test-slurm.sh;
# the cluster is global, so it runs under flock -o
# /tmp/mpichan-global.lock, waiting 20 min at most). Each run must print
# the job's result: "... paths in 200 tasks on 3 ranks" and the Monte
# Carlo price.
#
# Everything is made in one directory under $MPICHAN_CONTAINER_TMP
# (default /dev/shm: the roots are about 1 GB each and much faster to make
# in memory) and removed at the end; the Debian base root and the .debs
# are cached in $MPICHAN_CONTAINER_CACHE (default /var/cache/mpichan-container;
# base-root.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH=/usr/local/go/bin:$PATH

if [ "$(id -u)" != 0 ]; then echo "apptainer/test.sh: must run as root" >&2; exit 1; fi
missing=""
for p in mmdebstrap squashfs-tools bubblewrap; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "apptainer/test.sh: installing$missing"
  apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

work=$(mktemp -d "${MPICHAN_CONTAINER_TMP:-/dev/shm}/mpichan-container.XXXXXX")
cleanup() {
  case $work in
    */mpichan-container.?*) rm -rf --one-file-system -- "$work" ;;
  esac
}
trap cleanup EXIT

MPIS=(openmpi mpich)
for mpi in "${MPIS[@]}"; do
  go run ./cmd/mpichan-init new --template montecarlo --mpi "$mpi" --nodes 3 --ntasks-per-node 1 \
    "$work/mc-$mpi" >/dev/null
done

# Made once here rather than by the builds at once.
bash apptainer/base-root.sh >/dev/null
echo "== building the images (apptainer/build.sh, all at once; logs in $work/build-*.log)"
start=$SECONDS
labels=()
pids=()
# build LABEL DIR DEF: build.sh DEF in DIR into $work/img-LABEL, in the background.
build() {
  (cd "$2" && bash "$repo/apptainer/build.sh" "$3" "$work/img-$1") >"$work/build-$1.log" 2>&1 &
  labels+=("$1")
  pids+=($!)
}
for mpi in "${MPIS[@]}"; do build "$mpi" "$work/mc-$mpi" apptainer/job.def; done
mkdir "$work/base"
build base "$work/base" "$repo/apptainer/mpichan-base.def"
failed=0
for i in "${!labels[@]}"; do
  if wait "${pids[$i]}"; then
    grep -E '^(build\.sh: |/.*: SIF|  (object|primary) )' "$work/build-${labels[$i]}.log" | sed "s/^/${labels[$i]}: /"
  else
    echo "FAIL: building the ${labels[$i]} image; the end of its log:" >&2
    tail -30 "$work/build-${labels[$i]}.log" >&2
    failed=1
  fi
done
[ "$failed" = 0 ]
echo "== images built in $((SECONDS - start)) s"

# The hybrid model needs the container's MPI to be the host's release.
# same_version WHAT IMAGE COMMAND...: COMMAND's first line in IMAGE and on the host must agree.
same_version() {
  local what=$1 image=$2 host inside
  shift 2
  host=$("$@" | sed -n 1p)
  inside=$(bash apptainer/exec.sh "$work/img-$image/rootfs" "$@" | sed -n 1p)
  if [ "$host" != "$inside" ] || [ -z "$host" ]; then
    echo "FAIL: $what: the $image image has \"$inside\", the host \"$host\"" >&2
    return 1
  fi
  echo "ok: $what in the $image image and on the host: $host"
}
same_version "Open MPI" openmpi ompi_info --version
same_version "Open MPI" base ompi_info --version
same_version "MPICH" mpich mpichversion
rm -rf --one-file-system -- "${work:?}/img-base"

# check_result LOG WHAT: LOG must hold montecarlo's result for 3 ranks.
check_result() {
  if grep -q 'paths in 200 tasks on 3 ranks' "$1" && grep -q 'Monte Carlo: ' "$1"; then
    echo "ok: $2:"
    grep -E 'paths in|Monte Carlo:|Black-Scholes:' "$1" | sed 's/^/    /'
  else
    echo "FAIL: $2 did not print the job's result for 3 ranks; its output:" >&2
    cat "$1" >&2
    return 1
  fi
}

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for mpi in "${MPIS[@]}"; do
  name=mc-$mpi
  if [ "$mpi" = openmpi ]; then launcher=(mpirun --oversubscribe --bind-to none); else launcher=(mpiexec.hydra); fi
  # The image's %runscript, as `apptainer run` runs it.
  echo "== ${launcher[0]} -n 3 apptainer/exec.sh <$mpi image> /.singularity.d/runscript"
  (cd "$work/$name" && timeout 300 "${launcher[@]}" -n 3 \
    bash "$repo/apptainer/exec.sh" "$work/img-$mpi/rootfs" /.singularity.d/runscript) >"$work/run-$mpi.log" 2>&1 || true
  check_result "$work/run-$mpi.log" "$mpi image's %runscript under the host's ${launcher[0]}"
done

# -o: the daemons that test-up.sh starts must not inherit the lock.
echo "== under the test Slurm cluster (waiting for /tmp/mpichan-global.lock, 20 min at most)"
status=0
flock -o -w 1200 -E 75 /tmp/mpichan-global.lock bash apptainer/test-slurm.sh "$work" "${MPIS[@]}" || status=$?
if [ "$status" = 75 ]; then
  echo "FAIL: /tmp/mpichan-global.lock stayed taken for 20 min; processes that have it open:" >&2
  for fd in /proc/[0-9]*/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = /tmp/mpichan-global.lock ] && echo "  ${fd%%/fd/*}" >&2
  done
  exit 1
fi
[ "$status" = 0 ]
for mpi in "${MPIS[@]}"; do
  check_result "$work/slurm-$mpi.log" "$mpi image under Slurm (slurm/job-apptainer.sbatch, srun)"
done
echo "== apptainer/test.sh: passed in $SECONDS s"
