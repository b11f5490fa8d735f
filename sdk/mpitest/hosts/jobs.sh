#!/usr/bin/env bash
# jobs.sh: every template's generated job, run on one host and across the
# test hosts (MPICHAN_HOSTS, from up.sh) with the same arguments; the
# results must be identical. Run from the repository root, with the cgo
# flags of the MPI library in CGO_CFLAGS/CGO_LDFLAGS and MPI=openmpi|mpich.
#
#   MPI=mpich MPICHAN_HOSTS=/tmp/mpichan-hosts bash sdk/mpitest/hosts/jobs.sh
set -euo pipefail
: "${MPICHAN_HOSTS:?run up.sh and set MPICHAN_HOSTS to its helpers directory}"
MPI=${MPI:-openmpi}; NP=${NP:-6}
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOWORK=off GOFLAGS=-mod=mod OMPI_MCA_opal_signal=
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
if [ "$MPI" = openmpi ]; then
	local_run=(mpirun --oversubscribe --bind-to none -n "$NP")
	hosts_run=("$MPICHAN_HOSTS/mpirun.openmpi" -n "$NP")
else
	local_run=(mpiexec.hydra -n "$NP")
	hosts_run=("$MPICHAN_HOSTS/mpiexec.mpich" -n "$NP")
fi

# result NAME: a run's output, each line without its indentation, less
# what may differ between runs (lines with timings or host names) and
# messages from UCX, MPI, hydra (its banner when it failed the launch after
# the watchdog) or mpichan's Finalize watchdog.
result() {
	sed -E 's/^[[:space:]]+//; s/^(uts: .* depth=[0-9]+) ranks=.*/\1/' "$1" |
		grep -vE '^$|^\[|^(mpichan|mpitest):|took|elapsed|[0-9.]+ ?(ms|s|µs)\b|/s\b|rank [0-9]+ on' |
		grep -vE '^=|^YOUR APPLICATION TERMINATED|^This typically refers to a problem|^Please see the FAQ page' | sort || true
}

fail=0
for t in minimal montecarlo mapreduce sweep tree; do
	d="$work/$t"
	(cd "$root" && go run ./cmd/mpichan-init new -t "$t" --sdk-path "$root/sdk" "$d" >/dev/null)
	(cd "$d" && go mod tidy >/dev/null 2>&1 && go build -o job .)
	case $t in
		minimal) args=(-n 1000) ;;
		mapreduce) args=(-dir "$root/examples" -progress off -out counts.tsv) ;;
		tree) args=(-tree T1) ;;
		*) args=(-progress off) ;;
	esac
	for where in local hosts; do
		mkdir -p "$d/$where"
		if [ "$where" = local ]; then run=("${local_run[@]}"); else run=("${hosts_run[@]}"); fi
		if ! (cd "$d/$where" && timeout -k 5 600 "${run[@]}" ../job "${args[@]}" >out.txt 2>&1); then
			# MPICH 4.0: mpichan's Finalize watchdog ended a rank stuck in
			# MPI_Finalize after the job's work (docs/MPI.md), and hydra
			# failed the launch; the comparison below still decides.
			if grep -q "MPI_Finalize still running after" "$d/$where/out.txt"; then
				echo "jobs.sh: $t on $where: launcher failed after the Finalize watchdog; comparing the results"
			else
				echo "jobs.sh: $t on $where failed:"; tail -20 "$d/$where/out.txt"; fail=1; continue 2
			fi
		fi
	done
	result "$d/local/out.txt" > "$d/local.res"
	result "$d/hosts/out.txt" > "$d/hosts.res"
	for f in "$d"/local/*; do
		b=$(basename "$f")
		[ "$b" = out.txt ] && continue
		cmp -s "$f" "$d/hosts/$b" || { echo "jobs.sh: $t: $b differs between one host and $NP ranks across hosts"; fail=1; }
	done
	if [ ! -s "$d/local.res" ] || ! diff "$d/local.res" "$d/hosts.res"; then
		echo "jobs.sh: $t: results differ (or none found) between one host and across hosts:"
		cat "$d/local/out.txt" "$d/hosts/out.txt"; fail=1; continue
	fi
	echo "jobs.sh: $t: $NP ranks across hosts = one host ($(wc -l < "$d/local.res") result lines, files: $(find "$d/local" -type f ! -name out.txt | wc -l))"
done
exit $fail
