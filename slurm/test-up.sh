#!/usr/bin/env bash
# Start a throw-away Slurm cluster for mpichan's tests on SLURM_HOSTS (default
# 3) test hosts h1..hN: network namespaces with their own addresses, made by
# sdk/mpitest/hosts/up.sh. slurmctld runs on h1, one slurmd on every host
# (NodeAddr = the host's address), munge once for all (its socket is a file,
# which every namespace sees). Installs Debian's slurm-wlm, munge and
# libpmix-dev when missing. Needs root and no other slurmctld.
#
# The hosts are only reachable from inside their namespaces, so the Slurm
# commands (sbatch, srun, scontrol, ...) get wrappers in $STATE/bin that run
# the real command on h1: put that directory first in PATH.
#
# The PIDs of the daemons it starts go to $STATE/pids; test-down.sh stops
# exactly those and removes the hosts.
#   bash slurm/test-up.sh && PATH=$STATE/bin:$PATH sinfo
set -eEuo pipefail
cd "$(dirname "$0")/.."
STATE=${MPICHAN_SLURM_STATE:-${TMPDIR:-/tmp}/mpichan-slurm}
N=${SLURM_HOSTS:-3}
CPUS=${SLURM_CPUS:-4}
export HOSTS_N=$N HOSTS_PREFIX=${HOSTS_PREFIX:-mpichsl} HOSTS_NET=${HOSTS_NET:-10.78.0}
export HOSTS_DIR=${HOSTS_DIR:-$STATE/hosts}

if [ "$(id -u)" != 0 ]; then echo "test-up: must run as root" >&2; exit 1; fi
need=0
for c in slurmctld slurmd sbatch munged; do command -v "$c" >/dev/null || need=1; done
# srun --mpi=pmix loads libpmix.so, which only libpmix-dev provides.
ldconfig -p | grep -q 'libpmix\.so ' || need=1
if [ "$need" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends slurm-wlm slurmctld slurmd slurm-client munge libpmix-dev >/dev/null
fi
if [ -s "$STATE/pids" ]; then
  echo "test-up: $STATE/pids exists; run slurm/test-down.sh first" >&2; exit 1
fi
mkdir -p "$STATE"/{ctld,log,bin}
: >"$STATE/pids"
# On any failure from here on, undo what was started.
trap 'echo "test-up: failed; undoing" >&2; bash slurm/test-down.sh' ERR

# wait_for DESCRIPTION COMMAND...: poll COMMAND until it succeeds, 30 s at most.
wait_for() {
  local what=$1; shift
  for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "test-up: timed out waiting for $what" >&2; return 1
}

bash sdk/mpitest/hosts/up.sh
echo "hosts $HOSTS_PREFIX" >>"$STATE/pids"
ON="$HOSTS_DIR/nsrun.sh"

# munge: started here only if none runs; then its PID is ours to stop.
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
fi
if ! munge -n </dev/null >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  wait_for munged test -s /run/munge/munged.pid
  echo "munged $(cat /run/munge/munged.pid)" >>"$STATE/pids"
fi
wait_for munge sh -c 'munge -n </dev/null | unmunge'

cat >/etc/slurm/slurm.conf <<CONF
# Written by mpichan slurm/test-up.sh: $N test hosts h1..h$N on $HOSTS_NET.0/24.
ClusterName=mpichan
SlurmctldHost=h1($HOSTS_NET.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool/%n
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd-%n.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd-%n.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=300
# The hosts share this machine's /tmp: a TmpFS per node keeps srun
# --mpi=pmix's /tmp/spmix_appdir_* apart.
TmpFS=$STATE/tmp/%n
NodeName=h[1-$N] NodeAddr=$HOSTS_NET.[1-$N] CPUs=$CPUS RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=h[1-$N] Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF

# Client commands run on h1, the only way to reach the controller.
for c in sbatch srun salloc scontrol scancel sinfo squeue sacct; do
  printf '#!/bin/sh\n# %s on test host h1 (written by slurm/test-up.sh)\nexec "%s" h1 %s "$@"\n' \
    "$c" "$ON" "$(command -v "$c" || echo "/usr/bin/$c")" >"$STATE/bin/$c"
  chmod +x "$STATE/bin/$c"
done

# daemon HOST CMD...: start a Slurm daemon on HOST. ip netns exec mounts a
# fresh /sys without the cgroup file systems that slurmd's cgroup plugin
# checks; mount them again in the host's mount namespace, as this machine
# has them (cgroup v1 or v2).
CGROUPS=$(awk '$2 ~ "^/sys/fs/cgroup" && $3 ~ /^(tmpfs|cgroup2?)$/ {print $3, $4, $2}' /proc/mounts)
daemon() {
  local h=$1; shift
  # shellcheck disable=SC2016 # expanded inside the host
  CGROUPS=$CGROUPS "$ON" "$h" sh -c 'echo "$CGROUPS" | while read -r t o d; do
      [ -z "$t" ] || { mkdir -p "$d" && mount -t "$t" -o "$o" "$t" "$d"; } || exit 1
    done && exec "$@"' daemon "$@"
}
# The daemons fork into the background (inside their host) and write pid files.
daemon h1 slurmctld -i
wait_for slurmctld test -s "$STATE/slurmctld.pid"
echo "slurmctld $(cat "$STATE/slurmctld.pid")" >>"$STATE/pids"
for i in $(seq "$N"); do
  mkdir -p "$STATE/spool/h$i" "$STATE/tmp/h$i"
  daemon "h$i" slurmd -N "h$i"
  wait_for "slurmd h$i" test -s "$STATE/slurmd-h$i.pid"
  echo "slurmd-h$i $(cat "$STATE/slurmd-h$i.pid")" >>"$STATE/pids"
done
wait_for "idle nodes" sh -c "[ \"\$('$STATE/bin/sinfo' -h -o '%T' | sort -u)\" = idle ]"
"$STATE/bin/sinfo" -N -o '%N %o %T'
trap - ERR
echo "test-up: Slurm is up on $N hosts; run tests with PATH=$STATE/bin:\$PATH MPICHAN_SLURM=1; stop with slurm/test-down.sh"
