/*
 * tasks.pml: the termination rule of a Tasks channel (Options.Tasks) as a
 * Promela model for SPIN: tasks that put tasks, and "none left" only when
 * no task is queued and none is held.
 *
 * The ring's frames, tickets and slots are channel.pml's business; here a
 * put publishes a whole task and a take takes any published one, each in
 * one step, so that the states are those of the control words alone:
 * W_CLAIMED (count and flag), W_DONE, and W_TAKEN for the mutant that
 * uses the plain channel's rule. One Promela statement is one MPI atomic
 * on the host's window, as in channel.pml.
 *
 * The rule (ring's over, ctrl_state): a Tasks channel's takes are over when
 * a claim has been made and done >= claimed, with W_DONE read before
 * W_CLAIMED. It holds because every put claims its tasks before it
 * publishes them (and takes the claim back if the try fails), and a taker
 * marks a task done only after the puts it made while holding it: so
 * claimed - done is always at least the tasks queued plus the tasks held.
 *
 * The tree: task 1 (the root) has children 2 and 3, task 2 has child 4,
 * task 3 has child 5; 4 and 5 are leaves. A holder of task 1 puts its two
 * children as one batch (one claim of 2) or one by one; every put may
 * first fail once (full), which takes its claim back. The root is put by a
 * producer that holds the channel open around it (Hold). Two takers.
 *
 * Checked: "none left" only when every task has been expanded and none is
 * queued or held (assert where a take reports it); no hang (every process
 * ends); every task expanded exactly once.
 * Mutants (-DMUT_...), each of which must fail:
 *   MUT_TAKEN_RULE        over when taken >= claimed (the plain rule: ends
 *                         while a task is held);
 *   MUT_DONE_FIRST        a taker marks its task done before it puts the
 *                         children;
 *   MUT_CLAIM_AFTER       a put publishes before it claims;
 *   MUT_CLAIMED_FIRST     the state read loads W_CLAIMED before W_DONE;
 *   MUT_NO_CLAIM_BACK     a failed try keeps its claim (takers then wait
 *                         for ever: an invalid end state).
 */

#define NTASKS 5
#ifdef MUT_TAKEN_RULE
#define OVERWORD taken_w
#else
#define OVERWORD done_w
#endif

byte claimed_w;        /* W_CLAIMED: count ... */
bit  claim_flag;       /* ... and its flag bit (2^62) */
byte done_w;           /* W_DONE */
byte taken_w;          /* W_TAKEN */
bit  queued[NTASKS + 1];
byte nqueued;

/* ghosts */
byte held;             /* tasks taken and not yet done */
byte expanded[NTASKS + 1];
byte nexpanded;

/* ctrl_claim: fetch_op(W_CLAIMED, +n), then the flag if it was not set */
inline claim(n) {
	atomic { claimed_w = claimed_w + n }; /* @claim */
	claim_flag = 1
}

/* a put of tasks a (and b, as one batch, if b != 0): claim, then publish;
 * a try that finds the channel full takes its claim back */
inline put(a, b) {
	k = (b != 0 -> 2 : 1);
#ifndef MUT_CLAIM_AFTER
	claim(k);
#endif
	if
	:: true -> /* the try found no room */
#ifndef MUT_NO_CLAIM_BACK
		claimed_w = claimed_w - k; /* @claim-back */
#endif
		claim(k)                   /* the next try */
	:: true
	fi;
	atomic { queued[a] = 1; nqueued++; if :: b != 0 -> queued[b] = 1; nqueued++ :: else fi }; /* @publish */
#ifdef MUT_CLAIM_AFTER
	claim(k);
#endif
	k = 0
}

/* ctrl_done: fetch_op(W_DONE, +1) */
inline done() {
	atomic { done_w++; held-- } /* @done */
}

/* the children of task m, put while m is held */
inline children(m) {
	if
	:: m == 1 ->
		if
		:: put(2, 3)
		:: put(2, 0); put(3, 0)
		fi
	:: m == 2 -> put(4, 0)
	:: m == 3 -> put(5, 0)
	:: else
	fi
}

proctype taker() {
	byte m, rd, rc, k; bit rf;
	do
	:: atomic { /* a take (channel.pml: @credit ... @release) of any published task */
		nqueued > 0 ->
		if
		:: queued[1] -> m = 1
		:: queued[2] -> m = 2
		:: queued[3] -> m = 3
		:: queued[4] -> m = 4
		:: queued[5] -> m = 5
		fi;
		queued[m] = 0; nqueued--; taken_w++; held++;
		expanded[m]++; assert(expanded[m] == 1); nexpanded++
	   };
#ifdef MUT_DONE_FIRST
		done();
		children(m);
#else
		children(m);
		done();
#endif
		m = 0
	:: nqueued == 0 -> /* @over ctrl_state: W_DONE, then W_CLAIMED (count and flag in one word) */
#if defined(MUT_TAKEN_RULE)
		rd = taken_w;
#elif defined(MUT_CLAIMED_FIRST)
		atomic { rc = claimed_w; rf = claim_flag };
		rd = done_w;
#else
		rd = done_w;
#endif
#ifndef MUT_CLAIMED_FIRST
		atomic { rc = claimed_w; rf = claim_flag };
#endif
		if
		:: rf && rd >= rc -> /* none left: it must be true */
			assert(nexpanded == NTASKS && held == 0 && nqueued == 0);
			break
		:: else -> /* Backoff.Wait: until a try could end differently */
			rd = 0; rc = 0; rf = 0;
			(nqueued > 0 || (claim_flag && OVERWORD >= claimed_w))
		fi
	od
}

/* the first producer: Hold, put the root, release (done); the plain
 * rule of the mutant knows no holds, so there the root is put alone */
proctype producer() {
	byte k;
#ifndef MUT_TAKEN_RULE
	claim(1);           /* @hold Hold: a claim for no task */
#endif
	put(1, 0);
#ifndef MUT_TAKEN_RULE
	atomic { done_w++ } /* the hold's release: ctrl_done */
#endif
}

init {
	atomic { run producer(); run taker(); run taker() }
	_nr_pr == 1;
	assert(nexpanded == NTASKS && held == 0 && nqueued == 0 && done_w == claimed_w)
}
