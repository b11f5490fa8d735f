/* See rma.h. */
#include <stdlib.h>
#include <string.h>
#include "rma.h"

int rma_fetch_add(MPI_Win w, int t, MPI_Aint d, int64_t v, int64_t *old) {
	int rc = MPI_Fetch_and_op(&v, old, MPI_INT64_T, t, d, MPI_SUM, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

int rma_fetch_or(MPI_Win w, int t, MPI_Aint d, int64_t v, int64_t *old) {
	int rc = MPI_Fetch_and_op(&v, old, MPI_INT64_T, t, d, MPI_BOR, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

// rma_load reads n int64 words atomically (element-wise) into out.
int rma_load(MPI_Win w, int t, MPI_Aint d, int n, int64_t *out) {
	int rc = MPI_Get_accumulate(NULL, 0, MPI_INT64_T, out, n, MPI_INT64_T, t, d, n, MPI_INT64_T, MPI_NO_OP, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

// rma_put puts n bytes at d on t, then flushes (a raw bandwidth baseline).
int rma_put(MPI_Win w, int t, MPI_Aint d, char *buf, int n) {
	int rc = MPI_Put(buf, n, MPI_BYTE, t, d, n, MPI_BYTE, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

int rma_alloc(MPI_Comm c, MPI_Aint size, MPI_Win *w, void **base) {
	int rc = MPI_Win_allocate(size, 1, MPI_INFO_NULL, c, base, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_set_errhandler(*w, MPI_ERRORS_RETURN);
}

// rma_poke reads a word of the caller's own window: a real one-sided
// operation, which drives the progress engine that serves this window.
int rma_poke(MPI_Win w, int self) {
	int64_t z = 0, old;
	int flag, rc = MPI_Fetch_and_op(&z, &old, MPI_INT64_T, self, 0, MPI_NO_OP, w);
	if (rc != MPI_SUCCESS) return rc;
	rc = MPI_Win_flush(self, w);
	if (rc != MPI_SUCCESS) return rc;
	/* A second way into the progress engine: MPICH 4.0 sometimes leaves one
	 * origin's requests unserved by the first alone. */
	return MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
}

int rma_allreduce(MPI_Comm c, int64_t *in, int64_t *out, int n, int max) {
	return MPI_Allreduce(in, out, n, MPI_INT64_T, max ? MPI_MAX : MPI_MIN, c);
}

int rma_dup(MPI_Comm c, MPI_Comm *out) {
	int rc = MPI_Comm_dup(c, out);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Comm_set_errhandler(*out, MPI_ERRORS_RETURN);
}

// rma_one_node sets *one when every rank of c shares this rank's node.
int rma_one_node(MPI_Comm c, int *one) {
	MPI_Comm node;
	int n, all, rc = MPI_Comm_split_type(c, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
	if (rc != MPI_SUCCESS) return rc;
	MPI_Comm_size(node, &n);
	MPI_Comm_size(c, &all);
	MPI_Comm_free(&node);
	*one = n == all;
	return MPI_SUCCESS;
}

int rma_comm_free(MPI_Comm *c) { return MPI_Comm_free(c); }
int rma_rank(MPI_Comm c, int *r) { return MPI_Comm_rank(c, r); }
int rma_size(MPI_Comm c, int *s) { return MPI_Comm_size(c, s); }

int64_t rma_local_load(void *base, MPI_Aint d) {
	return __atomic_load_n((int64_t *)((char *)base + d), __ATOMIC_ACQUIRE);
}

void rma_library(char *buf, int *n) { MPI_Get_library_version(buf, n); }
int rma_lib_max(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
int rma_initialized(void) { int f = 0; MPI_Initialized(&f); return f; }
int rma_finalized(void) { int f = 0; MPI_Finalized(&f); return f; }
int rma_thread_level(void) { int p = 0; MPI_Query_thread(&p); return p; }
int rma_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }

/* ---- RemoteChannel protocol steps (docs/DESIGN.md) ---- */

/* Steps return an R_ code, or minus an MPI error code. */
#define CHECK(call) do { int rc_ = (call); if (rc_ != MPI_SUCCESS) return -rc_; } while (0)
#define PASS(call) do { int rc_ = (call); if (rc_ < 0) return rc_; } while (0)
#define CHUNK 64            /* state words handled per MPI call */
#define MAX_BYTES (1 << 30) /* bytes moved per MPI call */

struct ring {
	MPI_Win win;
	int host;
	int64_t cap;       /* slots */
	int64_t slot_size; /* bytes per slot, a multiple of 8 */
};

ring_h ring_new(MPI_Win win, int host, int64_t cap, int64_t slot_size) {
	ring_t *r = malloc(sizeof *r);
	if (r) *r = (ring_t){win, host, cap, slot_size};
	return (ring_h)r;
}

void ring_free(ring_h h) { free((ring_t *)h); }

static MPI_Aint state_off(ring_t *r, int64_t t) { return (CTRL_WORDS + t % r->cap) * 8; }
static MPI_Aint slot_off(ring_t *r, int64_t t) { return (CTRL_WORDS + r->cap) * 8 + (t % r->cap) * r->slot_size; }

/* run_len is how many of the n tickets from t lie in consecutive slots (the
 * ring wraps at most once), capped at max. */
static int64_t run_len(ring_t *r, int64_t t, int64_t n, int64_t max) {
	int64_t room = r->cap - t % r->cap;
	n = n < room ? n : room;
	return n < max ? n : max;
}

static int flush(ring_t *r) {
	CHECK(MPI_Win_flush(r->host, r->win));
	return 0;
}

/* fetch_op applies op with v to a word and returns the old value. */
static int fetch_op(ring_t *r, MPI_Aint disp, int64_t v, int64_t *old, MPI_Op op) {
	CHECK(MPI_Fetch_and_op(&v, old, MPI_INT64_T, r->host, disp, op, r->win));
	return flush(r);
}

/* states_free reports whether the slots of tickets t..t+n-1 are free for
 * them: their states have reached ST_FREE(t+i). */
static int states_free(ring_t *r, int64_t t, int64_t n, int *yes) {
	int64_t got[CHUNK];
	*yes = 0;
	for (int64_t i = 0; i < n;) {
		int64_t m = run_len(r, t + i, n - i, CHUNK);
		CHECK(MPI_Get_accumulate(NULL, 0, MPI_INT64_T, got, m, MPI_INT64_T, r->host,
		                         state_off(r, t + i), m, MPI_INT64_T, MPI_NO_OP, r->win));
		PASS(flush(r));
		for (int64_t j = 0; j < m; j++)
			if (got[j] < ST_FREE(t + i + j)) return 0;
		i += m;
	}
	*yes = 1;
	return 0;
}

/* raise_states raises the states of tickets t..t+n-1 to
 * 3*(t+i+shift) + (i ? rest : first) with MPI_MAX: states only grow, so a
 * late update can never undo a newer one. The last MPI call is left for
 * the caller to flush; v (CHUNK+1 words) must live until then. */
static int raise_states(ring_t *r, int64_t t, int64_t n, int64_t shift, int first, int rest, int64_t *v) {
	for (int64_t i = 0; i < n;) {
		if (i > 0) PASS(flush(r)); /* before v is reused */
		int64_t m = run_len(r, t + i, n - i, CHUNK);
		for (int64_t j = 0; j < m; j++) v[j] = 3 * (t + i + j + shift) + (i + j ? rest : first);
		if (m == 1) /* one word: a fetch-and-op is cheaper than an accumulate */
			CHECK(MPI_Fetch_and_op(v, v + CHUNK, MPI_INT64_T, r->host, state_off(r, t + i), MPI_MAX, r->win));
		else
			CHECK(MPI_Accumulate(v, m, MPI_INT64_T, r->host, state_off(r, t + i), m, MPI_INT64_T, MPI_MAX, r->win));
		i += m;
	}
	return 0;
}

/* move puts (dir 1) or gets (dir 0) the slots of tickets t..t+n-1 from/to
 * buf, at most len bytes, then flushes. */
static int move(ring_t *r, int64_t t, int64_t n, char *buf, int64_t len, int dir) {
	int64_t done = 0;
	for (int64_t i = 0; i < n && done < len;) {
		int64_t m = run_len(r, t + i, n - i, n);
		int64_t bytes = m * r->slot_size;
		if (bytes > len - done) bytes = len - done;
		for (int64_t at = 0; at < bytes; at += MAX_BYTES) {
			int c = (int)(bytes - at < MAX_BYTES ? bytes - at : MAX_BYTES);
			char *p = buf + done + at;
			MPI_Aint to = slot_off(r, t + i) + at;
			CHECK(dir ? MPI_Put(p, c, MPI_BYTE, r->host, to, c, MPI_BYTE, r->win)
			          : MPI_Get(p, c, MPI_BYTE, r->host, to, c, MPI_BYTE, r->win));
		}
		done += bytes;
		i += m;
	}
	return flush(r);
}

/* write_frames writes the k frames in buf (len bytes) for tickets from t,
 * once their slots are free (R_WAIT: not yet; check 0 skips the look),
 * then publishes them: the states (first frame, later frames) and one
 * credit, in one flush. */
static int write_frames(ring_t *r, int64_t t, int64_t k, char *buf, int64_t len, int check) {
	int yes;
	int64_t v[CHUNK + 1], one = 1, was;
	if (check) {
		PASS(states_free(r, t, k, &yes));
		if (!yes) return R_WAIT;
	}
	PASS(move(r, t, k, buf, len, 1));
	PASS(raise_states(r, t, k, 0, 1, 2, v));
	CHECK(MPI_Fetch_and_op(&one, &was, MPI_INT64_T, r->host, W_AVAIL * 8, MPI_SUM, r->win));
	PASS(flush(r));
	return R_OK;
}

int ring_write(ring_h h, int64_t t, int64_t k, char *buf, int64_t len) {
	ring_t *r = (ring_t *)h;
	return write_frames(r, t, k, buf, len, 1);
}

/* ring_put reserves k frames (R_NO if there is no room; *old is the free
 * count before), takes k consecutive tickets and writes the frames. */
int ring_put(ring_h h, int64_t k, char *buf, int64_t len, int64_t *old, int64_t *ticket) {
	ring_t *r = (ring_t *)h;
	int64_t back;
	PASS(fetch_op(r, W_FREE * 8, -k, old, MPI_SUM));
	if (*old < k) {
		PASS(fetch_op(r, W_FREE * 8, k, &back, MPI_SUM));
		return R_NO;
	}
	PASS(fetch_op(r, W_TAIL * 8, k, ticket, MPI_SUM));
	/* When every frame was free, every taker has finished with its slots
	 * (it returns frames only after reading them): no need to look. */
	return write_frames(r, *ticket, k, buf, len, *old != r->cap);
}

/* release returns the slots of tickets t..t+k-1 for their next tickets,
 * the frames to the free count, and counts one message taken: one flush. */
static int release(ring_t *r, int64_t t, int64_t k) {
	int64_t v[CHUNK + 1], inc[2] = {k, 1};
	PASS(raise_states(r, t, k, r->cap, 0, 0, v));
	CHECK(MPI_Accumulate(inc, 2, MPI_INT64_T, r->host, W_FREE * 8, 2, MPI_INT64_T, MPI_SUM, r->win));
	return flush(r);
}

/* examine reads what state st says about ticket t: the first frame of a
 * message (R_OK); a later frame, or a slot already released or reused,
 * which belongs to another taker's message (R_NO: take the next ticket);
 * or not published yet (R_WAIT: its producer is finishing). */
static int examine(int64_t t, int64_t st) {
	if (st == ST_START(t)) return R_OK;
	return st < ST_START(t) ? R_WAIT : R_NO;
}

/* first_frame reads the first frame of the message at ticket t into first
 * (one slot): a whole message is released at once (R_OK); a longer one
 * returns R_MORE with *k frames. */
static int first_frame(ring_t *r, int64_t t, char *first, int64_t *k) {
	PASS(move(r, t, 1, first, r->slot_size, 0));
	uint32_t count;
	memcpy(&count, first + 4, 4);
	*k = count;
	if (*k != 1) return R_MORE; /* or corrupt: Go checks */
	PASS(release(r, t, 1));
	return R_OK;
}

/* ring_read looks at the state of ticket *t until it finds a first frame,
 * taking the next ticket past other takers' frames. */
int ring_read(ring_h h, int64_t *t, char *first, int64_t *k) {
	ring_t *r = (ring_t *)h;
	for (;;) {
		int64_t st;
		PASS(fetch_op(r, state_off(r, *t), 0, &st, MPI_NO_OP));
		int e = examine(*t, st);
		if (e == R_OK) return first_frame(r, *t, first, k);
		if (e == R_WAIT) return R_WAIT;
		PASS(fetch_op(r, W_HEAD * 8, 1, t, MPI_SUM));
	}
}

/* ring_take takes a credit (R_NO if none) and a ticket, then reads. With a
 * guess (>= 0) it reads the guessed ticket's state in the same flush as it
 * takes the ticket, which saves a flush whenever the guess comes true. The
 * early look is safe whatever it sees: a state names its ticket, only the
 * ticket's producer raises it to "first frame", and it does so after its
 * frames are complete; anything else is looked at again or skipped. */
int ring_take(ring_h h, char *first, int64_t guess, int64_t *t, int64_t *k) {
	ring_t *r = (ring_t *)h;
	int64_t old, back, one = 1, zero = 0, st;
	PASS(fetch_op(r, W_AVAIL * 8, -1, &old, MPI_SUM));
	if (old < 1) {
		PASS(fetch_op(r, W_AVAIL * 8, 1, &back, MPI_SUM));
		return R_NO;
	}
	if (guess < 0) {
		PASS(fetch_op(r, W_HEAD * 8, 1, t, MPI_SUM));
		return ring_read(h, t, first, k);
	}
	CHECK(MPI_Fetch_and_op(&one, t, MPI_INT64_T, r->host, W_HEAD * 8, MPI_SUM, r->win));
	CHECK(MPI_Fetch_and_op(&zero, &st, MPI_INT64_T, r->host, state_off(r, guess), MPI_NO_OP, r->win));
	PASS(flush(r));
	if (*t != guess) return ring_read(h, t, first, k);
	int e = examine(*t, st);
	if (e == R_OK) return first_frame(r, *t, first, k);
	if (e == R_WAIT) return R_WAIT;
	PASS(fetch_op(r, W_HEAD * 8, 1, t, MPI_SUM));
	return ring_read(h, t, first, k);
}

/* ring_finish reads frames 2..k of the message at ticket t into rest and
 * releases the message. */
int ring_finish(ring_h h, int64_t t, int64_t k, char *rest) {
	ring_t *r = (ring_t *)h;
	PASS(move(r, t + 1, k - 1, rest, (k - 1) * r->slot_size, 0));
	PASS(release(r, t, k));
	return R_OK;
}
