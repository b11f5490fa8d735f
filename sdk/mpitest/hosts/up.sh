#!/usr/bin/env bash
# up.sh: make N test hosts h1..hN, each a Linux network namespace with its
# own address (NET.I/24), hostname and /etc/hosts, joined by a bridge that
# lives in a namespace of its own. Nothing is added to the root namespace, so
# traffic between the hosts never leaves them.
#
#   HOSTS_N=3 HOSTS_PREFIX=mpichan HOSTS_NET=10.77.0 bash up.sh
#
# Writes into HOSTS_DIR (default /tmp/<prefix>-hosts):
#   nsrun.sh HOST CMD...  run CMD on HOST (its namespace and hostname)
#   agent.sh HOST CMD...  rsh-style launch agent (Open MPI plm_rsh_agent,
#                         hydra -launcher-exec); CMD is one shell string
#   hosts                 the host names, one a line
#   mpirun.openmpi ARGS   Open MPI's mpirun across the hosts
#   mpiexec.mpich ARGS    MPICH's mpiexec.hydra across the hosts
#                         (both: started on h1, rank r on host r mod N + 1,
#                         UCX forced onto TCP; add -n N and the program)
# Needs root and iproute2. Tear down with down.sh (same variables).
set -euo pipefail
N=${HOSTS_N:-3}; P=${HOSTS_PREFIX:-mpichan}; NET=${HOSTS_NET:-10.77.0}
DIR=${HOSTS_DIR:-/tmp/$P-hosts}
if [ "$(id -u)" != 0 ]; then echo "up.sh: test hosts need root (ip netns)" >&2; exit 1; fi
command -v ip >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
if ip netns list | grep -q "^$P-br\b"; then
	echo "up.sh: hosts with prefix $P exist already; run down.sh first" >&2; exit 1
fi
mkdir -p "$DIR"
ip netns add "$P-br"
ip -n "$P-br" link add br0 type bridge
ip -n "$P-br" link set br0 up
ip -n "$P-br" link set lo up
hosts="127.0.0.1 localhost"
for i in $(seq "$N"); do hosts="$hosts
$NET.$i h$i"; done
: > "$DIR/hosts"
for i in $(seq "$N"); do
	ns="$P-h$i"
	ip netns add "$ns"
	ip -n "$ns" link add eth0 type veth peer name "h$i" netns "$P-br"
	ip -n "$P-br" link set "h$i" master br0 up
	ip -n "$ns" addr add "$NET.$i/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	mkdir -p "/etc/netns/$ns"
	printf '%s\n' "$hosts" > "/etc/netns/$ns/hosts"
	echo "h$i" >> "$DIR/hosts"
done
cat > "$DIR/nsrun.sh" <<SH
#!/bin/sh
# nsrun.sh HOST CMD... : run CMD on test host HOST (own network and hostname).
h=\$1; shift
exec ip netns exec "$P-\$h" unshare --uts sh -c 'hostname "\$0"; exec "\$@"' "\$h" "\$@"
SH
cat > "$DIR/agent.sh" <<SH
#!/bin/sh
# rsh-compatible launch agent: [-x] HOST CMD... (CMD is a shell string, as
# ssh would get it). HOST may be a name (h2) or an address ($NET.2).
[ "\$1" = "-x" ] && shift
h=\$1; shift
case "\$h" in $NET.*) h="h\${h##*.}";; esac
exec ip netns exec "$P-\$h" unshare --uts sh -c 'hostname "\$0"; shift; exec sh -c "\$*"' "\$h" x "\$@"
SH
hostlist=$(paste -sd, "$DIR/hosts")
# Between namespaces UCX would pick shared memory (one kernel): force TCP
# over the hosts' own interface, so that the hosts stand for a cluster.
# shellcheck disable=SC2016 # expanded by the scripts below, when they run
ucx='export UCX_TLS="${UCX_TLS:-tcp,self}" UCX_NET_DEVICES="${UCX_NET_DEVICES:-eth0}"'
cat > "$DIR/mpirun.openmpi" <<SH
#!/bin/sh
# Open MPI's mpirun across the test hosts ($hostlist), rank r on host r mod $N + 1.
$ucx
exec "$DIR/nsrun.sh" h1 mpirun --host "$(sed 's/$/:64/' "$DIR/hosts" | paste -sd,)" --map-by node --oversubscribe --bind-to none --mca plm_rsh_agent "$DIR/agent.sh" --mca oob_tcp_if_include eth0 --mca btl_tcp_if_include eth0 "\$@"
SH
cat > "$DIR/mpiexec.mpich" <<SH
#!/bin/sh
# MPICH's mpiexec.hydra across the test hosts ($hostlist), rank r on host r mod $N + 1.
$ucx
# A rank that mpichan's Finalize watchdog ends (MPICH 4.0's finalize hang,
# docs/MPI.md) closes its PMI socket: hydra must get EPIPE, not die of SIGPIPE.
trap '' PIPE
exec "$DIR/nsrun.sh" h1 mpiexec.hydra -launcher ssh -launcher-exec "$DIR/agent.sh" -hosts "$hostlist" "\$@"
SH
chmod +x "$DIR/nsrun.sh" "$DIR/agent.sh" "$DIR/mpirun.openmpi" "$DIR/mpiexec.mpich"
echo "up.sh: $N test hosts h1..h$N on $NET.0/24 (prefix $P); helpers in $DIR"
