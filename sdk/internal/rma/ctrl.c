/* See ctrl.h. */
#include "ctrl.h"
#include "rma.h"
#include <string.h>

/* Close subtracts CLOSED_MARK from the free-frame count: however many
 * frames puts hold, the count is then far below zero, so no put can reserve
 * frames, and the count still says how many frames are free. The claim
 * count's top bit below the sign says whether any claim has been made. */
#define CLOSED_MARK ((int64_t)1 << 40)
#define CLAIM_FLAG ((int64_t)1 << 62)

int64_t ctrl_max_claim(void) { return CLAIM_FLAG / 2 - 1; }

int64_t ctrl_window_bytes(int64_t cap, int64_t slot_size) { return (CTRL_WORDS + cap) * 8 + cap * slot_size + FAIL_TEXT; }

void ctrl_init(void *base, int64_t cap) { /* model: @init */
	int64_t *w = base;
	w[W_FREE] = cap;
	for (int64_t s = 0; s < cap; s++) w[CTRL_WORDS + s] = ST_FREE(s);
}

int64_t ctrl_activity(void *base) {
	int64_t *w = base;
	return __atomic_load_n(&w[W_TAIL], __ATOMIC_ACQUIRE) + __atomic_load_n(&w[W_HEAD], __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&w[W_FREE], __ATOMIC_ACQUIRE);
}

int ctrl_closed(int64_t old) { return old < -CLOSED_MARK / 2; }

/* The words are reached through the ring's one way to its window
 * (ring_word, ring_load: MPI atomics, or CPU atomics on shared memory),
 * which return minus an MPI error code. */
int ctrl_claim(ring_h h, int64_t n) { /* model: @claim */
	int64_t old;
	int rc = -ring_word(h, W_CLAIMED, n, 0, &old);
	if (rc == MPI_SUCCESS && !(old & CLAIM_FLAG)) rc = -ring_word(h, W_CLAIMED, CLAIM_FLAG, 1, &old);
	return rc;
}

int ctrl_close(ring_h h) { /* model: @close */
	int64_t old;
	int rc = -ring_word(h, W_FREE, -CLOSED_MARK, 0, &old);
	if (rc == MPI_SUCCESS && ctrl_closed(old)) rc = -ring_word(h, W_FREE, CLOSED_MARK, 0, &old); /* model: @close-back */
	return rc;
}

/* ctrl_done marks n tasks of a Tasks channel done. A taker calls it only
 * after the puts it made while it held them, each of which claimed its
 * tasks before it published them (tasks.pml). */
int ctrl_done(ring_h h, int64_t n) { /* model: @done */
	int64_t old;
	return -ring_word(h, W_DONE, n, 0, &old);
}

/* ctrl_state reads done and taken before the claims, so that a concurrent
 * claim can only make "every claimed message taken" (or, on a Tasks
 * channel, "every claimed task done") look not yet true; and the failure
 * mark last, so that a close or lost credits that a failure made are never
 * seen without it. */
int ctrl_state(ring_h h, ctrl_state_t *out) { /* model: @none-left @over */
	static const int order[] = {W_DONE, W_TAKEN, W_CLAIMED, W_AVAIL, W_FREE, W_FAILED};
	int64_t v[CTRL_WORDS] = {0};
	for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++) {
		int rc = -ring_load(h, order[i], 1, &v[order[i]]);
		if (rc != MPI_SUCCESS) return rc;
	}
	int64_t marks = (-v[W_FREE] + CLOSED_MARK / 2) / CLOSED_MARK;
	out->closed = marks > 0;
	out->free = v[W_FREE] + marks * CLOSED_MARK;
	out->taken = v[W_TAKEN];
	out->done = v[W_DONE];
	out->claiming = (v[W_CLAIMED] & CLAIM_FLAG) != 0;
	out->claimed = v[W_CLAIMED] & ~CLAIM_FLAG;
	out->len = v[W_AVAIL] > 0 ? v[W_AVAIL] : 0;
	out->failed = v[W_FAILED];
	return MPI_SUCCESS;
}

/* The text goes to the host before the mark that says it is there, and the
 * mark before the close and the credits taken away that send every put
 * and take to read the state. */
int ctrl_fail(ring_h h, int64_t rank, const char *text, int64_t n) { /* model: @fail */
	int64_t old;
	int rc = -ring_word(h, W_FAILS, 1, 0, &old);
	if (rc != MPI_SUCCESS || old != 0) return rc; /* another rank failed it first */
	char buf[FAIL_TEXT];
	if (n > FAIL_TEXT - 8) n = FAIL_TEXT - 8;
	memcpy(buf, &n, 8);
	memcpy(buf + 8, text, n);
	if ((rc = -ring_text(h, buf, 8 + n, 1)) != MPI_SUCCESS) return rc;
	if ((rc = -ring_word(h, W_FAILED, rank + 1, 0, &old)) != MPI_SUCCESS) return rc; /* model: @fail-mark */
	if ((rc = ctrl_close(h)) != MPI_SUCCESS) return rc;
	return -ring_word(h, W_AVAIL, -CLOSED_MARK, 0, &old); /* model: @fail-credits */
}

int ctrl_fail_text(ring_h h, char *buf, int64_t *n) {
	int rc = -ring_text(h, buf, FAIL_TEXT, 0);
	if (rc != MPI_SUCCESS) return rc;
	memcpy(n, buf, 8);
	if (*n < 0 || *n > FAIL_TEXT - 8) *n = 0;
	return MPI_SUCCESS;
}
