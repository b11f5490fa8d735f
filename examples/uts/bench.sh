#!/usr/bin/env bash
# bench.sh: the UTS speedup on this machine. For each tree in TREES, REPS
# times alternating, it runs the traversal alone (-seq) and on RANKS ranks,
# and prints the nodes/s of each (median and range) and the ratio of the
# medians. Run from the repository root with the cgo flags of the MPI
# library in the environment (make bench does):
#
#   eval "$(make -s env)"; bash examples/uts/bench.sh
#
# MPIRUN is the launcher and its flags ("-n RANKS" is appended); across the
# test hosts, bench.sh there sets it. FLAGS adds flags to every run (e.g.
# "-chunk 64 -poll 256"). The CPU time columns (user + system, every
# process of a run, mpirun too) tell the overhead of the parallel runs
# apart from the load of a shared machine; they count only processes that
# the launcher starts as its children (not ranks it starts on other hosts).
set -euo pipefail
TREES=${TREES:-T1 T3}
RANKS=${RANKS:-2}
REPS=${REPS:-5}
MPIRUN=${MPIRUN:-mpirun --oversubscribe --bind-to none}
FLAGS=${FLAGS:-}
TIMEOUT=${TIMEOUT:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_opal_signal=
(cd examples && go build -o "$work/uts" ./uts)

# rate KIND CMD...: the nodes_per_s of a run's line, or the run's output
# and a failure. The CPU seconds of the run, all its processes, go to the
# file KIND.cpu.
rate() {
	local out kind=$1
	shift
	# shellcheck disable=SC2086 # MPIRUN and FLAGS are split on purpose
	if ! out=$(/usr/bin/time -f '%U %S' -o "$work/time" timeout -k 5 "$TIMEOUT" "$@" $FLAGS 2>&1) || ! grep -q '^uts: ' <<<"$out"; then
		echo "bench.sh: failed: $*" >&2
		echo "$out" >&2
		return 1
	fi
	grep '^uts: ' <<<"$out" >&2
	awk '{print $1 + $2}' "$work/time" >>"$work/$kind.cpu"
	sed -nE 's/^uts: .* nodes_per_s=([0-9]+).*/\1/p' <<<"$out"
}

# stats FILE: "median (min-max)" of the numbers in FILE, in M nodes/s;
# also the median alone in FILE.med.
stats() {
	sort -g "$1" | awk -v f="$1.med" '{v[NR] = $1} END {m = v[int((NR + 1) / 2)]; print m > f; printf "%.2f M (%.2f-%.2f)", m / 1e6, v[1] / 1e6, v[NR] / 1e6}'
}

# median FILE: the median of the numbers in FILE.
median() { sort -g "$1" | awk '{v[NR] = $1} END {printf "%.2f", v[int((NR + 1) / 2)]}'; }

echo "uts bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $REPS runs each, alternating; launcher: $MPIRUN -n $RANKS${FLAGS:+; flags: $FLAGS}"
rows=()
for tree in $TREES; do
	: >"$work/seq" && : >"$work/par" && : >"$work/seq.cpu" && : >"$work/par.cpu"
	for _ in $(seq "$REPS"); do
		rate seq "$work/uts" -tree "$tree" -seq >>"$work/seq"
		# shellcheck disable=SC2086
		rate par $MPIRUN -n "$RANKS" "$work/uts" -tree "$tree" >>"$work/par"
	done
	s=$(stats "$work/seq")
	p=$(stats "$work/par")
	ratio=$(awk -v a="$(cat "$work/par.med")" -v b="$(cat "$work/seq.med")" 'BEGIN {printf "%.2fx", a / b}')
	rows+=("| $tree | $s | $p | $ratio | $(median "$work/seq.cpu") s | $(median "$work/par.cpu") s |")
done
echo
echo "| tree | -seq nodes/s (median, range) | $RANKS ranks nodes/s | ratio of medians | -seq CPU time (median) | $RANKS ranks CPU time, all processes |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
