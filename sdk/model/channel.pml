/*
 * channel.pml: the RemoteChannel protocol (docs/DESIGN.md,
 * sdk/internal/rma/rma.c) as a Promela model for SPIN, step for step.
 *
 * One Promela statement is one MPI operation as the host applies it: an
 * MPI_Fetch_and_op, one element of an MPI_Accumulate / MPI_Get_accumulate,
 * or the MPI_Put / MPI_Get of one slot (a get that overlaps a put can be
 * ordered before it, where it reads the slot's previous frame, which the
 * assertions catch). Operations that C issues before a
 * single flush may reach the host in any order, so the model applies them
 * in every order (the "any order" loops below). A wait (Go's backoff or
 * settle, then the step again) is a guard that blocks until the step could
 * end differently; so a hang shows up as an invalid end state.
 *
 * Checked (sdk/model/check.sh runs every configuration exhaustively):
 *   - exactly once: a message is read whole, from its own frames, at most
 *     once (assert in take), and at the end every message whose put reserved
 *     room has been taken, every other one not (assert in init);
 *   - no hang: every process ends (SPIN's invalid end states);
 *   - "none left" only when true (assert where a take reports it);
 *   - bounded memory: a slot is never written while it holds a frame no
 *     taker has read, frames in use never exceed the capacity, credits never
 *     exceed published messages.
 *
 * Mutants (-DMUT_...) must each make the check fail; check.sh asserts it.
 */

#ifndef CAP
#define CAP 2          /* slots (Options.Capacity) */
#endif
#define M 16           /* the closed mark: 2^40 in C; > any sum of reservations here */
#define NONE 255       /* no state read yet */

/* Messages 1..NMSG; nfr[m] frames each (init). Producer 0 puts message 1
 * (1 frame) then 2 (2 frames), producer 1 puts messages 3 and 4 (1 frame
 * each): every slot serves several tickets, a 2-frame message can wrap the
 * ring, and takers can release out of order, so that a put reserves room
 * while its own slot is still held (the slot check). With -DMSGS3,
 * producer 1 puts message 3 only (a smaller state space; the slot check is
 * then never needed). */
#ifdef MSGS3
#define NMSG 3
#else
#define NMSG 4
#endif
#define NPROD 2
#define NCONS 2

/* ---- the host's window (rma.h: W_FREE ... state[cap], slot[cap]) ---- */
short free_w = CAP;    /* W_FREE: free frames; Close subtracts M */
byte  taken_w;         /* W_TAKEN: messages taken and released */
byte  tail_w;          /* W_TAIL: next producer ticket */
short avail_w;         /* W_AVAIL: credits (published messages not yet credited) */
byte  head_w;          /* W_HEAD: next taker ticket */
byte  claimed_w;       /* W_CLAIMED: count ... */
bit   claim_flag;      /* ... and its flag bit (2^62) */
byte  state[CAP];      /* ST_FREE(t)=3t, ST_START(t)=3t+1, ST_CONT(t)=3t+2 */
byte  smsg[CAP];       /* slot: which message's frame it holds (0: none yet) */
byte  sidx[CAP];       /* slot: which frame of that message */

/* ---- ghosts: what the properties talk about ---- */
byte nfr[NMSG + 1];        /* frames of each message */
bit  reserved[NMSG + 1];   /* its put reserved room: it must be taken */
byte delivered[NMSG + 1];  /* times it was taken */
byte nreserved, ndelivered;
bit  live[CAP];            /* slot holds a frame not yet read */
byte inuse;                /* frames reserved and not released */
bit  closed;               /* Close has been called */

#define MAXU(w, v) atomic { if :: (w) < (v) -> w = v :: else fi }
#define ISCLOSED(f) ((f) < -(M / 2))
/* all frames free on a closed channel (one or, during a second Close, two marks) */
#define DRAINED(f) (ISCLOSED(f) && ((f) + M == CAP || (f) + 2 * M == CAP))

/* ring_put + write_frames (+ putFrames's loop) for message m */
inline put(m, try) {
	k = nfr[m];
	do
	:: atomic { /* ring_put: fetch_op(W_FREE, -k) */
		old = free_w; free_w = free_w - k;
		if
		:: old >= k -> reserved[m] = 1; nreserved++; inuse = inuse + k; assert(inuse <= CAP)
		:: else
		fi }
		if
		:: old >= k -> res = 1; break
		:: else ->
			free_w = free_w + k; /* ring_put: add it back, R_NO */
			if
			:: ISCLOSED(old) -> res = 0; break /* ErrClosed */
			:: try -> res = 0; break /* TryPut: ErrFull */
			:: else -> (free_w >= k || ISCLOSED(free_w)) /* Backoff.Wait */
			fi
		fi
	od;
	if
	:: res ->
		atomic { t = tail_w; tail_w = tail_w + k }; /* ring_put: fetch_op(W_TAIL, k) */
#ifndef MUT_NO_SLOT_CHECK
		if
		:: old != CAP -> /* states_free (R_WAIT: settle, ring_write again) */
			i = 0;
			do
			:: i < k -> (state[(t + i) % CAP] >= 3 * (t + i)); i++
			:: else -> break
			od
		:: else /* every frame was free: skip the look */
		fi;
#endif
#ifdef MUT_STATE_BEFORE_FRAMES
		MAXU(state[t % CAP], 3 * t + 1);
#endif
		i = 0; /* move(dir 1): the frames, then flush */
		do
		:: i < k ->
			s = (t + i) % CAP;
			atomic { assert(!live[s]); smsg[s] = m; sidx[s] = i; live[s] = 1 };
			i++
		:: else -> break
		od;
		/* publish: raise_states (first, later) + fetch_op(W_AVAIL, +1), one flush */
		i = 0;
		do
		:: !(i & 1) -> MAXU(state[t % CAP], 3 * t + 1); i = i | 1
		:: k > 1 && !(i & 2) -> MAXU(state[(t + 1) % CAP], 3 * (t + 1) + 2); i = i | 2
		:: !(i & 4) -> atomic { avail_w++; assert(avail_w <= CAP) }; i = i | 4
		:: i == 7 || (k == 1 && i == 5) -> break
		od
	:: else
	fi;
	k = 0; old = 0; t = 0; i = 0; s = 0; res = 0
}

/* ring_take / ring_read / ring_finish / release (+ take's loop and noneLeft) */
inline take() {
	do
	:: atomic { old = avail_w; avail_w-- }; /* ring_take: fetch_op(W_AVAIL, -1) */
		if
		:: old >= 1 -> res = 1; break
		:: else ->
#ifndef MUT_KEEP_CREDIT
			avail_w++; /* add it back: R_NO */
#endif
			/* noneLeft: state() loads taken, claimed, avail, free, each flushed */
			rt = taken_w;
			atomic { rc = claimed_w; rf = claim_flag };
			rfree = free_w;
			if
			:: (rf && rt >= rc) || DRAINED(rfree) -> res = 0; break
			:: else /* ErrEmpty for TryTake; Take waits (Backoff.Wait) */
				rt = 0; rc = 0; rf = 0; rfree = 0;
				(avail_w >= 1 || (claim_flag && taken_w >= claimed_w) || DRAINED(free_w))
			fi
		fi
	od;
	if
	:: res -> /* a credit: the take must finish */
		st = NONE;
		if
		:: guess != NONE -> /* ticket and guessed state in one flush, either order */
			if
			:: atomic { t = head_w; head_w++ }; st = state[guess % CAP]
			:: st = state[guess % CAP]; atomic { t = head_w; head_w++ }
			fi;
			if
			:: t != guess -> st = NONE /* ring_read(t) */
			:: else
			fi
		:: true -> atomic { t = head_w; head_w++ }
		fi;
		do /* ring_read: examine the ticket's state */
		:: st == NONE -> st = state[t % CAP]
		:: st != NONE && st == 3 * t + 1 -> break /* R_OK: a first frame */
		:: st != NONE && st < 3 * t + 1 -> /* R_WAIT: its producer is publishing */
			(state[t % CAP] != st); st = NONE
		:: st != NONE && st > 3 * t + 1 -> /* R_NO: another taker's; next ticket */
			atomic { t = head_w; head_w++ }; st = NONE
		od;
		guess = t + 1;
#ifdef MUT_RELEASE_BEFORE_READ
		k = nfr[smsg[t % CAP]];
		i = 0;
		do
		:: !(i & 1) -> MAXU(state[t % CAP], 3 * (t + CAP)); i = i | 1
		:: k > 1 && !(i & 2) -> MAXU(state[(t + 1) % CAP], 3 * (t + 1 + CAP)); i = i | 2
		:: !(i & 4) -> atomic { free_w = free_w + k; taken_w++; inuse = inuse - k }; i = i | 4
		:: i == 7 || (k == 1 && i == 5) -> break
		od;
#endif
		/* first_frame: move(dir 0) of one slot; its header gives the count */
		atomic {
			s = t % CAP;
			assert(sidx[s] == 0 && smsg[s] != 0);
			fm = smsg[s]; live[s] = 0
		};
		k = nfr[fm];
		i = 1; /* ring_finish: the other frames */
		do
		:: i < k ->
			atomic {
				s = (t + i) % CAP;
				assert(smsg[s] == fm && sidx[s] == i);
				live[s] = 0
			};
			i++
		:: else -> break
		od;
		atomic { delivered[fm]++; assert(delivered[fm] == 1); ndelivered++ };
#ifndef MUT_RELEASE_BEFORE_READ
		/* release: raise_states (+cap) and accumulate(W_FREE += k, W_TAKEN += 1), one flush */
		i = 0;
		do
		:: !(i & 1) -> MAXU(state[t % CAP], 3 * (t + CAP)); i = i | 1
		:: k > 1 && !(i & 2) -> MAXU(state[(t + 1) % CAP], 3 * (t + 1 + CAP)); i = i | 2
		:: !(i & 4) -> atomic { free_w = free_w + k; taken_w++; inuse = inuse - k }; i = i | 4
		:: i == 7 || (k == 1 && i == 5) -> break
		od;
#endif
		fm = 0
	:: else -> /* none left: it must be true */
#ifdef CLOSE
		assert(closed && ndelivered == nreserved)
#else
		assert(ndelivered == NMSG)
#endif
	fi;
	old = 0; t = 0; i = 0; s = 0; k = 0; st = 0; rt = 0; rc = 0; rf = 0; rfree = 0
}

proctype producer(byte m1, m2) {
	short old; byte k, t, i, s; bit res, try;
#ifdef CLOSE
	/* Put or TryPut: both may give up on a closed or (TryPut) full channel */
	if :: try = 1 :: try = 0 fi;
#endif
	put(m1, try);
	if
	:: m2 != 0 ->
#ifdef CLOSE
		if :: try = 1 :: try = 0 fi;
#endif
		put(m2, try)
	:: else
	fi
}

proctype consumer() {
	short old, rfree; byte k, t, i, s, st, fm, rt, rc, guess = NONE; bit res, rf;
	do
	:: take(); if :: res -> res = 0 :: else -> break fi
	od
}

#ifdef CLOSE
/* Close: fetch_op(W_FREE, -M); on a closed channel, add it back. */
proctype closer() {
	short old;
	atomic { old = free_w; free_w = free_w - M; closed = 1 };
	if :: ISCLOSED(old) -> free_w = free_w + M :: else fi
}
#else
/* Claim(NMSG) from a rank of its own, at any time: fetch_op(W_CLAIMED, +n),
 * then fetch_or of the flag if it was not set. */
proctype claimer() {
	byte old;
#ifdef MUT_FLAG_BEFORE_COUNT
	claim_flag = 1;
#endif
	atomic { old = claimed_w; claimed_w = claimed_w + NMSG };
	claim_flag = 1
}
#endif

init {
	byte m;
	nfr[1] = 1; nfr[2] = 2; nfr[3] = 1;
#ifndef MSGS3
	nfr[4] = 1;
#endif
	for (m : 0 .. CAP - 1) { state[m] = 3 * m } /* ring.init: free for ticket s */
	atomic {
#ifdef MSGS3
		run producer(1, 2); run producer(3, 0);
#else
		run producer(1, 2); run producer(3, 4);
#endif
		run consumer(); run consumer();
#ifdef CLOSE
		run closer();
#ifdef TWO_CLOSES
		run closer();
#endif
#else
		run claimer();
#endif
	}
	_nr_pr == 1; /* every other process has ended */
	for (m : 1 .. NMSG) { assert(delivered[m] == reserved[m]) }
	assert(inuse == 0 && avail_w == 0)
}
