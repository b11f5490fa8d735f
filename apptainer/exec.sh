#!/usr/bin/env bash
# exec.sh: run a command inside an image root the way `apptainer exec`
# does, without Apptainer (bubblewrap instead):
#   bash apptainer/exec.sh ROOTFS COMMAND [ARGS...]
#
# The root is mounted read-only, as a SIF's is, with the host's /dev, /proc,
# /sys, /tmp, /etc/hosts and /etc/resolv.conf bound in (Apptainer's
# defaults, but $HOME and the working directory); the network, PIDs and IPC are the host's (no new
# namespaces but the mount one), so a rank started by the host's mpirun or
# srun reaches its launcher's PMI(x) server and its peers. The environment
# is the caller's without PATH and LD_LIBRARY_PATH (as Apptainer drops
# them); the image's /.singularity.d/actions/exec then sources
# /.singularity.d/env/*.sh (the image's docker ENV, then %environment) and
# runs the command. The working directory is kept when the image has it or
# it is under /tmp, else it is /.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: exec.sh ROOTFS COMMAND [ARGS...]" >&2
  exit 2
fi
root=$1
shift
if [ ! -x "$root/.singularity.d/actions/exec" ]; then
  echo "exec.sh: $root is not an image root (no /.singularity.d/actions/exec); build it with apptainer/build.sh" >&2
  exit 1
fi
dir=/
case $PWD in
  /tmp | /tmp/*) dir=$PWD ;;
  *) [ -d "$root$PWD" ] && dir=$PWD ;;
esac
exec env -u PATH -u LD_LIBRARY_PATH /usr/bin/bwrap \
  --ro-bind "$root" / \
  --dev-bind /dev /dev \
  --bind /proc /proc \
  --bind /sys /sys \
  --bind /tmp /tmp \
  --ro-bind /etc/hosts /etc/hosts \
  --ro-bind /etc/resolv.conf /etc/resolv.conf \
  --chdir "$dir" \
  --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /.singularity.d/actions/exec "$@"
