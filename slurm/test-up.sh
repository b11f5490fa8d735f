#!/usr/bin/env bash
# Start a throw-away local Slurm for mpichan's tests: munge, slurmctld and
# FAKE_NODES (default 2) slurmd daemons acting as nodes n1..nN on this host,
# each with its own port, spool and TmpFS. Installs Debian's slurm-wlm,
# munge and libpmix-dev when missing. Needs root and no other slurmctld.
# The PIDs of the daemons it starts go to $STATE/pids; test-down.sh stops
# exactly those. Usage: bash slurm/test-up.sh
set -euo pipefail
STATE=${MPICHAN_SLURM_STATE:-${TMPDIR:-/tmp}/mpichan-slurm}
FAKE_NODES=${FAKE_NODES:-2}
CPUS=${SLURM_CPUS:-4}

if [ "$(id -u)" != 0 ]; then echo "test-up: must run as root" >&2; exit 1; fi
need=0
for c in slurmctld slurmd sbatch munged; do command -v "$c" >/dev/null || need=1; done
# srun --mpi=pmix loads libpmix.so, which only libpmix-dev provides.
ldconfig -p | grep -q 'libpmix\.so ' || need=1
if [ "$need" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm slurmctld slurmd slurm-client munge libpmix-dev >/dev/null
fi
if [ -s "$STATE/pids" ]; then
  echo "test-up: $STATE/pids exists; run slurm/test-down.sh first" >&2; exit 1
fi
mkdir -p "$STATE"/{ctld,log}
: >"$STATE/pids"

# wait_for DESCRIPTION COMMAND...: poll COMMAND until it succeeds, 20 s at most.
wait_for() {
  local what=$1; shift
  for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "test-up: timed out waiting for $what" >&2; return 1
}

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

H=$(hostname -s)
cat >/etc/slurm/slurm.conf <<CONF
# Written by mpichan slurm/test-up.sh: $FAKE_NODES fake nodes on one host.
ClusterName=mpichan
SlurmctldHost=$H(127.0.0.1)
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
# Per-node TmpFS: fake nodes on one host would share srun --mpi=pmix's
# /tmp/spmix_appdir_* otherwise.
TmpFS=$STATE/tmp/%n
NodeName=n[1-$FAKE_NODES] NodeHostname=$H NodeAddr=127.0.0.1 Port=[17001-$((17000 + FAKE_NODES))] CPUs=$CPUS RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=n[1-$FAKE_NODES] Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF

# The daemons fork into the background and write their pid files.
slurmctld -i
wait_for slurmctld test -s "$STATE/slurmctld.pid"
echo "slurmctld $(cat "$STATE/slurmctld.pid")" >>"$STATE/pids"
for i in $(seq "$FAKE_NODES"); do
  mkdir -p "$STATE/spool/n$i" "$STATE/tmp/n$i"
  slurmd -N "n$i"
  wait_for "slurmd n$i" test -s "$STATE/slurmd-n$i.pid"
  echo "slurmd-n$i $(cat "$STATE/slurmd-n$i.pid")" >>"$STATE/pids"
done
wait_for "idle nodes" sh -c "[ \"\$(sinfo -h -o '%T' | sort -u)\" = idle ]"
sinfo
echo "test-up: Slurm is up; run tests with MPICHAN_SLURM=1; stop with slurm/test-down.sh"
