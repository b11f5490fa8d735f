#!/usr/bin/env bash
# bench.sh: chanbench on 2 and on 3 of the test hosts with one rank a host,
# and on 3 hosts with 2 ranks each (MPICHAN_HOSTS, from up.sh: rank r on
# host r mod 3), under each configuration (mpich-tcp, ompi-ucx) in one run.
# The results table goes to OUT (default bin/bench-hosts.md) and to stdout;
# no document is edited.
# Run from the repository root:
#
#   MPICHAN_HOSTS=/tmp/mpichan-hosts bash sdk/mpitest/hosts/bench.sh
#
# ARGS (default below) are chanbench's flags. RANKS: the rank counts (2, 3:
# one a host; 6: two a host).
# Each chanbench run gets TIMEOUT seconds.
#
# 10,000 messages of 8 KiB a run, not 2,000: across the test hosts a run of
# 2,000 lasted 40-400 ms, and one rank kept off the cores for 200-500 ms at
# its end (seen with per-rank timestamps) set the run's time, the farm's
# and the channel's alike; the runs' ratios then swung 0.3-5x and a median
# of 5 fell either side of 1 (CHANGELOG.md has the two run lengths side by
# side).
set -euo pipefail
: "${MPICHAN_HOSTS:?run up.sh and set MPICHAN_HOSTS to its helpers directory}"
ARGS=${ARGS:--only ratio,latency -n 10000 -nbig 10000 -reps 5 -rtt 200}
RANKS=${RANKS:-2 3 6}
TIMEOUT=${TIMEOUT:-600}
OUT=${OUT:-bin/bench-hosts.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_MCA_opal_signal=
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

{
	echo "### Across 2 and 3 test hosts (make bench-hosts)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start;"
	echo "ranks on 2 or 3 network-namespace hosts (sdk/mpitest/hosts/up.sh; rank r on host r mod 3), UCX forced onto TCP;"
	echo "latency between ranks 0 and 1 (mean of -rtt iterations), ratios: median and range of 5 runs."
	echo "Command: \`make bench-hosts\` = \`chanbench $ARGS\` under each launcher."
	echo
	echo "| configuration | ranks (hosts) | two-sided 64 B half round trip | raw fetch-and-op | put+take | 8 float64: channel / best farm (median, range) | 8 KiB: channel / best farm | 8 KiB: relay requests per msg | 8 KiB: CPU µs per msg, all ranks (farm 1, farm 2, channel; medians) | channel msg/s (8 float64, per run) | farm msg/s (best depth, per run) |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
} > "$work/section"

for n in $RANKS; do for cfg in mpich-tcp ompi-ucx; do
	if [ "$cfg" = mpich-tcp ]; then pc=mpich; run="$MPICHAN_HOSTS/mpiexec.mpich"; else pc=ompi-c; run="$MPICHAN_HOSTS/mpirun.openmpi"; fi
	[ -x "$work/chanbench.$cfg" ] || (cd sdk && CGO_CFLAGS="$(pkg-config --cflags $pc)" CGO_LDFLAGS="$(pkg-config --libs $pc)" go build -o "$work/chanbench.$cfg" ./cmd/chanbench)
	echo "== chanbench, $cfg, $n ranks"
	o="$work/$cfg.$n.out"
	start=$(date +%s)
	# shellcheck disable=SC2086 # ARGS are flags, split on purpose
	timeout -k 5 "$TIMEOUT" "$run" -n "$n" "$work/chanbench.$cfg" $ARGS 2>&1 | tee "$o" || echo "bench.sh: $cfg: chanbench failed or timed out; its table row shows what it printed"
	echo "bench.sh: $cfg on $n ranks took $(($(date +%s) - start)) s"
	lat=$(grep '^LATENCY' "$o" | sed -E 's/.*half round trip ([0-9.]+) us, raw MPI_Fetch_and_op ([0-9.]+) us, put\+take ([0-9.]+) us.*/\1 µs | \2 µs | \3 µs/')
	# channel / best farm of each run (from the msg/s, 3 significant
	# digits: chanbench rounds its ratios to 0.01), median (range).
	ratio() {
		grep -E "^$1 run [0-9]+:" "$o" | sed -E 's/.*farm depth 1 ([0-9.]+) msg\/s[,;] farm depth 2 ([0-9.]+) msg\/s[,;] channel ([0-9.]+) msg\/s.*/\1 \2 \3/' |
			awk '{f = $1 > $2 ? $1 : $2; if (f > 0) print $3 / f}' | sort -g |
			awk '{v[NR] = $1} END {if (NR) printf "%.3gx (%.3g-%.3gx)", v[int((NR + 1) / 2)], v[1], v[NR]}'
	}
	runs() { grep -E "^8 float64 run" "$o" | sed -E "s/.*farm depth 1 ([0-9]+) msg\/s[,;] farm depth 2 ([0-9]+) msg\/s[,;] channel ([0-9]+) msg\/s.*/\\$1/" | paste -sd' '; }
	# medians of the 8 KiB runs' relay requests per message and CPU
	# time per message (chanbench's bracketed run-line suffixes).
	med() { sort -g | awk '{v[NR] = $1} END {if (NR) printf "%.3g", v[int((NR + 1) / 2)]; else printf "?"}'; }
	reqs=$(grep -E "^8 KiB run" "$o" | sed -nE 's/.*\[([0-9.]+) relay requests\/msg\].*/\1/p' | med)
	cpu=$(for f in 1 2 3; do grep -E "^8 KiB run" "$o" | sed -nE 's/.*\[cpu µs\/msg, all ranks: (.*)\]$/\1/p' | cut -d' ' -f"$f" | med; echo; done | paste -sd/ | sed 's|/| / |g')
	farm=$(grep -E "^8 float64 run" "$o" | sed -E 's/.*farm depth 1 ([0-9]+) msg\/s[,;] farm depth 2 ([0-9]+) msg\/s.*/\1 \2/' | awk '{print ($1>$2?$1:$2)}' | paste -sd' ')
	echo "| $cfg | $n ($((n < 3 ? n : 3))) | ${lat:-? | ? | ?} | $(ratio '8 float64') | $(ratio '8 KiB') | $reqs | $cpu | $(runs 3) | $farm |" >> "$work/section"
done; done
# The UTS speedup across the hosts: T1 on 3 hosts, one rank each, against
# -seq on this host (examples/uts/bench.sh); UTS=0 leaves it out.
if [ "${UTS:-1}" != 0 ]; then
	echo "== UTS T1, 3 hosts x 1 rank, Open MPI"
	{ echo; echo "### UTS across 3 test hosts, one rank a host (Open MPI)"; echo
	  CGO_CFLAGS="$(pkg-config --cflags ompi-c)" CGO_LDFLAGS="$(pkg-config --libs ompi-c)" MPIRUN="$MPICHAN_HOSTS/mpirun.openmpi" RANKS=3 TREES=T1 bash examples/uts/bench.sh; } >>"$work/section"
fi
mkdir -p "$(dirname "$OUT")"
cp "$work/section" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "bench.sh: wrote $OUT:"
cat "$OUT"
