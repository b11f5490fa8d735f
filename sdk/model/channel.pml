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
 * then never needed with 2 slots). With -DPUTBATCH, producer 1 puts
 * messages 3 and 4 with one PutBatch (ring_put_many). -DCAP=3 gives a
 * batched take (-DBATCH) room for a 2-frame message and another one. */
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

/* ring_put + write_frames (+ putFrames's loop) for message m; with mb != 0,
 * ring_put_many (PutBatch) of the 1-frame messages m and mb at once: one
 * reservation of both frames, one fetch of both tickets, one slot check,
 * one write, one publication (both states and 2 credits in one flush). */
inline put(m, mb, try) {
	k = nfr[m] + nfr[mb];
	do
	:: atomic { /* @reserve ring_put, ring_put_many: fetch_op(W_FREE, -k) */
		old = free_w; free_w = free_w - k;
		if
		:: old >= k ->
			reserved[m] = 1; nreserved++; inuse = inuse + k; assert(inuse <= CAP);
#ifdef PUTBATCH
			if :: mb != 0 -> reserved[mb] = 1; nreserved++ :: else fi
#endif
		:: else
		fi }
		if
		:: old >= k -> res = 1; break
		:: else ->
			free_w = free_w + k; /* @reserve-back ring_put: add it back, R_NO */
			if
			:: ISCLOSED(old) -> res = 0; break /* ErrClosed */
			:: try -> res = 0; break /* TryPut: ErrFull */
			:: else -> (free_w >= k || ISCLOSED(free_w)) /* Backoff.Wait */
			fi
		fi
	od;
	if
	:: res ->
		atomic { t = tail_w; tail_w = tail_w + k }; /* @ticket ring_put: fetch_op(W_TAIL, k) */
#ifndef MUT_NO_SLOT_CHECK
		/* @slot-check states_free (R_WAIT: settle, ring_write again); always,
		 * as ring_put does */
		i = 0;
		do
		:: i < k -> (state[(t + i) % CAP] >= 3 * (t + i)); i++
		:: else -> break
		od;
#endif
#ifdef MUT_STATE_BEFORE_FRAMES
		MAXU(state[t % CAP], 3 * t + 1);
#endif
		i = 0; /* @write move(dir 1): the frames, then flush */
		do
		:: i < k ->
			s = (t + i) % CAP;
			atomic { assert(!live[s]); smsg[s] = (mb != 0 && i == 1 -> mb : m); sidx[s] = (mb != 0 -> 0 : i); live[s] = 1 };
			i++
		:: else -> break
		od;
		/* @publish raise_states (first, later; PutBatch: first, first) + fetch_op(W_AVAIL, +n), one flush */
		i = 0;
		do
		:: !(i & 1) -> MAXU(state[t % CAP], 3 * t + 1); i = i | 1
		:: k > 1 && !(i & 2) -> MAXU(state[(t + 1) % CAP], 3 * (t + 1) + (mb != 0 -> 1 : 2)); i = i | 2
		:: !(i & 4) ->
			atomic {
#ifdef MUT_PUTMANY_ONE_CREDIT
				avail_w++; /* one credit for the batch's two messages */
#else
				avail_w = avail_w + (mb != 0 -> 2 : 1);
#endif
				assert(avail_w <= CAP)
			};
			i = i | 4
		:: i == 7 || (k == 1 && i == 5) -> break
		od
	:: else
	fi;
	k = 0; old = 0; t = 0; i = 0; s = 0; res = 0
}

/* ring_take / ring_read / ring_finish / release (+ take's loop and noneLeft) */
inline take() {
	do
	:: atomic { old = avail_w; avail_w-- }; /* @credit ring_take: fetch_op(W_AVAIL, -1) */
		if
		:: old >= 1 -> res = 1; break
		:: else ->
#ifndef MUT_KEEP_CREDIT
			avail_w++; /* @credit-back add it back: R_NO */
#endif
			/* @none-left noneLeft: state() loads taken, claimed, avail, free, each flushed */
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
		:: guess != NONE -> /* @guess ticket and guessed state in one flush, either order */
			if
			:: atomic { t = head_w; head_w++ }; st = state[guess % CAP]
			:: st = state[guess % CAP]; atomic { t = head_w; head_w++ }
			fi;
			if
			:: t != guess -> st = NONE /* ring_read(t) */
			:: else
			fi
		:: true -> atomic { t = head_w; head_w++ } /* @take-ticket */
		fi;
		do /* @examine ring_read: examine the ticket's state */
		:: st == NONE -> st = state[t % CAP]
		:: st != NONE && st == 3 * t + 1 -> break /* R_OK: a first frame */
		:: st != NONE && st < 3 * t + 1 -> /* R_WAIT: its producer is publishing */
			(state[t % CAP] != st); st = NONE
		:: st != NONE && st > 3 * t + 1 -> /* @next-ticket R_NO: another taker's; next ticket */
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
		/* @first-frame first_frame: move(dir 0) of one slot; its header gives the count */
		atomic {
			s = t % CAP;
			assert(sidx[s] == 0 && smsg[s] != 0);
			fm = smsg[s]
			/* @view a first frame may be read in place (Views) until its
			 * message's release starts: its slot stays live until then */
		};
		k = nfr[fm];
		i = 1; /* @finish ring_finish: the other frames */
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
		/* @release raise_states (+cap) and accumulate(W_FREE += k, W_TAKEN += 1), one flush */
		i = 0;
		do
		:: !(i & 1) -> live[t % CAP] = 0; MAXU(state[t % CAP], 3 * (t + CAP)); i = i | 1
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


#ifdef BATCH
/* ring_take_many (perf: takeBatch with Prefetch 2): WANT credits in one
 * fetch-and-add, the tickets for them in one more, the published prefix of
 * first frames read at once and released in one flush; a message running
 * past what was read is finished (ring_finish) by the caller. */
#define WANT 2
#define EXAMINE(tk, sv) ((sv) == 3 * (tk) + 1 -> 0 : ((sv) < 3 * (tk) + 1 -> 2 : 1)) /* R_OK 0, R_NO 1, R_WAIT 2 */
inline take_batch() {
	do
	:: atomic { old = avail_w; avail_w = avail_w - WANT }; /* @batch-credit fetch_op(W_AVAIL, -want) */
		if
		:: old >= 1 -> res = 1; break
		:: else ->
#ifndef MUT_KEEP_CREDIT
			avail_w = avail_w + WANT; /* @batch-credit-back give them back: R_NO */
#endif
			rt = taken_w;
			atomic { rc = claimed_w; rf = claim_flag };
			rfree = free_w;
			if
			:: (rf && rt >= rc) || DRAINED(rfree) -> res = 0; break
			:: else ->
				rt = 0; rc = 0; rf = 0; rfree = 0;
				(avail_w >= 1 || (claim_flag && taken_w >= claimed_w) || DRAINED(free_w))
			fi
		fi
	od;
	if
	:: res ->
		if :: old < WANT -> cr = old :: else -> cr = WANT fi; /* credits */
		/* @batch-tickets one flush: give back the unused credits, cr tickets, the guessed states; any order */
		i = 0; st = NONE; st1 = NONE;
		do
		:: !(i & 1) -> avail_w = avail_w + (WANT - cr); i = i | 1
		:: !(i & 2) -> atomic { t = head_w; head_w = head_w + cr }; i = i | 2
		:: guess != NONE && !(i & 4) -> st = state[guess % CAP]; i = i | 4
		:: guess != NONE && cr > 1 && !(i & 8) -> st1 = state[(guess + 1) % CAP]; i = i | 8
		:: (i & 3) == 3 && (guess == NONE || ((i & 4) && (cr == 1 || (i & 8)))) -> break
		od;
		if :: guess != NONE && guess == t -> have = 1 :: else -> have = 0 fi;
		nxt = t; end = t + cr;
		do /* one call of ring_take_many per turn; Go calls again while credits remain */
		:: cr == 0 -> break
		:: else ->
			if
			:: nxt == end -> atomic { t = head_w; head_w = head_w + cr }; nxt = t; end = t + cr; have = 0 /* @batch-more-tickets */
			:: else
			fi;
			if
			:: !have -> /* @batch-states load_states, one flush */
				st = state[nxt % CAP];
				if :: end - nxt > 1 -> st1 = state[(nxt + 1) % CAP] :: else -> st1 = NONE fi
			:: else
			fi;
			have = 0;
			/* examine the tickets nxt..end-1 (at most 2): first frames up to the first unpublished one */
			nb = 0; w = nxt;
			if
			:: EXAMINE(w, st) != 2 ->
				if :: EXAMINE(w, st) == 0 -> tk0 = w; nb = 1 :: else fi;
				w++;
				if
				:: w < end && EXAMINE(w, st1) != 2 ->
					if
					:: EXAMINE(w, st1) == 0 -> if :: nb == 0 -> tk0 = w :: else -> tk1 = w fi; nb++
					:: else
					fi;
					w++
				:: else
				fi
			:: else
			fi;
			if
			:: nb == 0 && w < end -> /* R_WAIT: settle, call again */
				if
				:: w == nxt -> (state[w % CAP] != st)
				:: else -> (state[w % CAP] != st1)
				fi;
				nxt = w
			:: nb == 0 && w == end -> nxt = w /* only others' frames: more tickets */
			:: nb > 0 ->
				nxt = w;
				/* @batch-read move: frames tk0..w-1 in one get, then flush */
				s = tk0;
				do
				:: s < w ->
					atomic {
						if
						:: s == tk0 || (nb == 2 && s == tk1) ->
							assert(sidx[s % CAP] == 0 && smsg[s % CAP] != 0);
							if :: s == tk0 -> m0 = smsg[s % CAP] :: else -> m1 = smsg[s % CAP] fi
						:: else -> /* a later frame of m0 */
							assert(smsg[s % CAP] == m0 && sidx[s % CAP] == s - tk0)
						fi;
						live[s % CAP] = 0
					};
					s++
				:: else -> break
				od;
				k = nfr[m0];
				if :: nb == 2 -> assert(tk0 + k == tk1) :: else fi; /* frames of two messages never mix */
				/* is the last message partial (runs past w)? */
				if
				:: nb == 1 && tk0 + k > w -> part = 1
				:: nb == 2 && tk1 + nfr[m1] > w -> part = 1
				:: else -> part = 0
				fi;
				atomic { delivered[m0]++; assert(delivered[m0] == 1); ndelivered++ };
				if :: nb == 2 -> atomic { delivered[m1]++; assert(delivered[m1] == 1); ndelivered++ } :: else fi;
				/* @batch-release the whole messages: states (+cap) and W_FREE/W_TAKEN, one flush, any order */
				whole = nb - part;
#ifdef MUT_BATCH_RELEASE_PARTIAL
				if :: nb == 1 -> whole = 1 :: else fi; /* releases a message it has not finished reading */
#endif
				i = 0;
				do
				:: whole >= 1 && !(i & 1) -> MAXU(state[tk0 % CAP], 3 * (tk0 + CAP)); i = i | 1
				:: whole >= 1 && k > 1 && !(i & 2) -> MAXU(state[(tk0 + 1) % CAP], 3 * (tk0 + 1 + CAP)); i = i | 2
				:: whole == 2 && !(i & 4) -> MAXU(state[tk1 % CAP], 3 * (tk1 + CAP)); i = i | 4
				:: whole >= 1 && !(i & 8) ->
					atomic {
						if
						:: whole == 1 -> free_w = free_w + k; inuse = inuse - k
						:: else -> free_w = free_w + k + 1; inuse = inuse - k - 1 /* m1 whole: 1 frame */
						fi;
						taken_w = taken_w + whole
					};
					i = i | 8
				:: (whole == 0) || (i == (1 | 8) && k == 1 && whole == 1) || (i == (1 | 2 | 8) && whole == 1) ||
				   (whole == 2 && (i & 13) == 13 && (k == 1 || (i & 2))) -> break
				od;
				cr = cr - nb;
				if
				:: part -> /* @batch-finish Go finishes it: ring_finish reads the rest, releases it */
					if :: nb == 1 -> s = tk0 :: else -> s = tk1; k = nfr[m1]; m0 = m1 fi;
					i = w - s;
					do
					:: i < k ->
						atomic { assert(smsg[(s + i) % CAP] == m0 && sidx[(s + i) % CAP] == i); live[(s + i) % CAP] = 0 };
						i++
					:: else -> break
					od;
					i = 0;
#ifdef MUT_BATCH_RELEASE_PARTIAL
					if :: nb == 1 -> i = 7 :: else fi; /* released already */
#endif
					do
					:: !(i & 1) -> MAXU(state[s % CAP], 3 * (s + CAP)); i = i | 1
					:: k > 1 && !(i & 2) -> MAXU(state[(s + 1) % CAP], 3 * (s + 1 + CAP)); i = i | 2
					:: !(i & 4) -> atomic { free_w = free_w + k; taken_w++; inuse = inuse - k }; i = i | 4
					:: i == 7 || (k == 1 && i == 5) -> break
					od
				:: else
				fi;
				guess = end; /* nextHead = b.End() */
				m0 = 0; m1 = 0; tk0 = 0; tk1 = 0; part = 0; whole = 0
			fi
		od
	:: else -> /* none left: it must be true */
#ifdef CLOSE
		assert(closed && ndelivered == nreserved)
#else
		assert(ndelivered == NMSG)
#endif
	fi;
	old = 0; t = 0; i = 0; s = 0; k = 0; st = 0; st1 = 0; rt = 0; rc = 0; rf = 0; rfree = 0;
	nxt = 0; end = 0; cr = 0; w = 0; nb = 0; have = 0
}
#endif

proctype producer(byte m1, m2; bit batch) {
	short old; byte k, t, i, s; bit res, try;
#ifdef CLOSE
	/* Put or TryPut: both may give up on a closed or (TryPut) full channel */
	if :: try = 1 :: try = 0 fi;
#endif
#ifdef PUTBATCH
	if
	:: batch -> put(m1, m2, 0) /* @put-many ring_put_many (PutBatch; no Try variant) */
	:: else ->
#endif
		put(m1, 0, try);
		if
		:: m2 != 0 ->
#ifdef CLOSE
			if :: try = 1 :: try = 0 fi;
#endif
			put(m2, 0, try)
		:: else
		fi
#ifdef PUTBATCH
	fi
#endif
}

proctype consumer() {
	short old, rfree; byte k, t, i, s, st, fm, rt, rc, guess = NONE; bit res, rf;
#ifdef BATCH
	byte st1, nxt, end, cr, w, nb, tk0, tk1, m0, m1, whole; bit have, part;
	do
	:: take_batch(); if :: res -> res = 0 :: else -> break fi
	od
#else
	do
	:: take(); if :: res -> res = 0 :: else -> break fi
	od
#endif
}

#ifdef CLOSE
/* @close Close: fetch_op(W_FREE, -M); on a closed channel, add it back (@close-back). */
proctype closer() {
	short old;
	atomic { old = free_w; free_w = free_w - M; closed = 1 };
	if :: ISCLOSED(old) -> free_w = free_w + M /* @close-back */ :: else fi
}
#else
/* @claim Claim(NMSG) from a rank of its own, at any time: fetch_op(W_CLAIMED, +n),
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
	for (m : 0 .. CAP - 1) { state[m] = 3 * m } /* @init ring.init: free for ticket s */
	atomic {
#ifdef MSGS3
		run producer(1, 2, 0); run producer(3, 0, 0);
#elif defined(PUTBATCH)
		run producer(1, 2, 0); run producer(3, 4, 1); /* 3 and 4 in one PutBatch */
#else
		run producer(1, 2, 0); run producer(3, 4, 0);
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
