#!/usr/bin/env bash
# check.sh: checks the channel model (channel.pml) exhaustively with SPIN in
# each configuration, then checks that every mutant of the protocol fails.
# Usage: sdk/model/check.sh [-quick|-full]   (-quick: the mutants only;
# -full: also the close run at full size and with two closers)
# Needs spin and a C compiler (Debian: apt-get install spin gcc).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# The C steps name the model's steps in comments ("model: @reserve"), and
# the model names them the same way ("/* @reserve ..."): every name on
# either side must exist on the other, so the two cannot drift silently.
# tasks.pml (the termination rule of Tasks channels) names its steps in
# the C steps and in the Go that drives them (window.go) the same way.
model_tags=$(cat "$here"/*.pml | grep -o '/\* @[a-z-]*' | grep -o '@[a-z-]*' | sort -u)
c_tags=$(cat "${RMA_DIR:-$here/../internal/rma}"/*.c "$here"/../*.go | grep -o 'model: @[a-z-]*\( @[a-z-]*\)*' | grep -o '@[a-z-]*' | sort -u || true)
if [ -z "$c_tags" ]; then
	echo "model: no 'model: @step' comments in sdk/internal/rma/*.c yet (see docs/RELIABILITY.md)"
else
	missing=$(comm -23 <(echo "$c_tags") <(echo "$model_tags"))
	unused=$(comm -13 <(echo "$c_tags") <(echo "$model_tags"))
	if [ -n "$missing$unused" ]; then
		echo "model and C steps have drifted apart:"
		[ -z "$missing" ] || echo "  named in C, not in channel.pml:" "$(tr "\n" " " <<<"$missing")"
		[ -z "$unused" ] || echo "  in channel.pml, named nowhere in C:" "$(tr "\n" " " <<<"$unused")"
		exit 1
	fi
	echo "model: the $(echo "$model_tags" | wc -l) steps of the models are named in the C steps and vice versa"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# verify NAME EXPECT DEFINES...: EXPECT is pass (no error, every step
# reached), pass-some (no error; a smaller configuration need not reach
# every step) or fail (a mutant: some error).
verify() {
	local name=$1 expect=$2
	shift 2
	spin "$@" -a "$here/${MODEL:-channel.pml}" >spin.out || { cat spin.out; exit 1; }
	# SAFETY: assertions and invalid end states (hangs); COLLAPSE is
	# lossless compression of the stored states: still exhaustive.
	gcc -w -O2 -DSAFETY -DCOLLAPSE -DMEMLIM=6144 -o pan pan.c
	local out errors stored
	out=$(./pan -m200000 2>&1) || true
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$out")
	stored=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' <<<"$out")
	if grep -q 'error: max search depth too small\|out of memory\|hash table is full' <<<"$out"; then
		echo "model $name: search incomplete"; echo "$out"; exit 1
	fi
	local what
	what=$(grep -m1 -E 'assertion violated|invalid end state' <<<"$out" || true)
	case $expect in
	pass | pass-some)
		if [ "$errors" != 0 ]; then echo "model $name: FAILED ($what)"; echo "$out"; exit 1; fi
		local unreached n
		unreached=$(awk '/^unreached in/ { on = /proctype (producer|consumer)$/ } on && /channel.pml:/ { sub(/^[ \t]*/, ""); print }' <<<"$out")
		n=$(grep -c . <<<"$unreached" || true)
		if [ "$expect" = pass ] && [ "$n" != 0 ]; then
			echo "model $name: some protocol steps were never reached"; echo "$out"; exit 1
		fi
		echo "model $name: ok, $stored states, 0 errors (exhaustive; $n statements unreached)"
		# A smaller configuration says which steps it does not reach.
		[ "$n" = 0 ] || while IFS= read -r line; do echo "    unreached: $line"; done <<<"$unreached";;
	fail)
		if [ "${errors:-0}" = 0 ]; then echo "mutant $name: NOT caught"; exit 1; fi
		echo "mutant $name: caught after $stored states: ${what# *}";;
	esac
}

case ${1:-} in
-quick) ;;
-full) # every configuration at full size (close: about 3x the claims run)
	verify claims pass
	verify close pass -DCLOSE
	verify batch pass-some -DBATCH
	verify batch-3slots pass-some -DBATCH -DMSGS3 -DCAP=3
	verify putbatch pass-some -DPUTBATCH
	verify close-two-closers pass-some -DCLOSE -DTWO_CLOSES -DMSGS3
	verify fail pass-some -DFAIL;;
*) # make test: the claims run at full size, the others with 3 messages;
	# the batched take with 3 slots (a 2-frame message and another fit in
	# one batch), PutBatch with single takes
	verify claims pass
	verify close-3msgs pass-some -DCLOSE -DMSGS3
	verify batch-3slots pass-some -DBATCH -DMSGS3 -DCAP=3
	verify putbatch pass-some -DPUTBATCH
	verify fail-3msgs pass-some -DFAIL -DMSGS3;;
esac
verify release-before-read fail -DMUT_RELEASE_BEFORE_READ
verify no-slot-check fail -DMUT_NO_SLOT_CHECK
verify state-before-frames fail -DMUT_STATE_BEFORE_FRAMES
verify flag-before-count fail -DMUT_FLAG_BEFORE_COUNT
verify keep-credit fail -DMUT_KEEP_CREDIT
verify close-release-before-read fail -DCLOSE -DMUT_RELEASE_BEFORE_READ
verify batch-release-partial fail -DBATCH -DMUT_BATCH_RELEASE_PARTIAL
verify batch-keep-credit fail -DBATCH -DMUT_KEEP_CREDIT
verify putbatch-one-credit fail -DPUTBATCH -DMUT_PUTMANY_ONE_CREDIT
verify fail-mark-first fail -DFAIL -DMSGS3 -DMUT_FAIL_MARK_FIRST
verify fail-close-first fail -DFAIL -DMSGS3 -DMUT_FAIL_CLOSE_FIRST

# Tasks channels: the termination rule, and each way of ending too early
# (or never) that it rules out.
MODEL=tasks.pml verify tasks pass-some
MODEL=tasks.pml verify tasks-taken-rule fail -DMUT_TAKEN_RULE
MODEL=tasks.pml verify tasks-done-first fail -DMUT_DONE_FIRST
MODEL=tasks.pml verify tasks-claim-after fail -DMUT_CLAIM_AFTER
MODEL=tasks.pml verify tasks-claimed-first fail -DMUT_CLAIMED_FIRST
MODEL=tasks.pml verify tasks-no-claim-back fail -DMUT_NO_CLAIM_BACK
