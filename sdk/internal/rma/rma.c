/* See rma.h. */
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
#define CHUNK 64 /* state words handled per MPI call */

static MPI_Aint state_off(ring_t *r, int64_t slot) { return (CTRL_WORDS + slot) * 8; }
static MPI_Aint slot_off(ring_t *r, int64_t slot) { return (CTRL_WORDS + r->cap) * 8 + slot * r->slot_size; }

/* run_len is how many of the n tickets from t lie in consecutive slots
 * (at most two runs: the ring wraps once), capped at CHUNK. */
static int64_t run_len(ring_t *r, int64_t t, int64_t n) {
	int64_t room = r->cap - t % r->cap;
	n = n < room ? n : room;
	return n < CHUNK ? n : CHUNK;
}

static int fetch_add(ring_t *r, int word, int64_t v, int64_t *old) {
	CHECK(MPI_Fetch_and_op(&v, old, MPI_INT64_T, r->host, word * 8, MPI_SUM, r->win));
	CHECK(MPI_Win_flush(r->host, r->win));
	return 0;
}

/* states_are reports whether the states of tickets t..t+n-1 are want(t+i). */
static int states_are(ring_t *r, int64_t t, int64_t n, int kind, int *yes) {
	int64_t got[CHUNK];
	*yes = 0;
	for (int64_t i = 0; i < n;) {
		int64_t m = run_len(r, t + i, n - i);
		CHECK(MPI_Get_accumulate(NULL, 0, MPI_INT64_T, got, m, MPI_INT64_T, r->host,
		                         state_off(r, (t + i) % r->cap), m, MPI_INT64_T, MPI_NO_OP, r->win));
		CHECK(MPI_Win_flush(r->host, r->win));
		for (int64_t j = 0; j < m; j++)
			if (got[j] != 3 * (t + i + j) + kind) return 0;
		i += m;
	}
	*yes = 1;
	return 0;
}

/* set_states stores state 3*(t+i+shift)+kind for tickets t..t+n-1. */
static int set_states(ring_t *r, int64_t t, int64_t n, int64_t shift, int kind) {
	int64_t v[CHUNK];
	for (int64_t i = 0; i < n;) {
		int64_t m = run_len(r, t + i, n - i);
		for (int64_t j = 0; j < m; j++) v[j] = 3 * (t + i + j + shift) + kind;
		CHECK(MPI_Accumulate(v, m, MPI_INT64_T, r->host, state_off(r, (t + i) % r->cap), m,
		                     MPI_INT64_T, MPI_REPLACE, r->win));
		CHECK(MPI_Win_flush(r->host, r->win)); /* before v changes or goes */
		i += m;
	}
	return 0;
}

/* transfer puts (dir 1) or gets (dir 0) the slots of tickets t..t+n-1
 * from/to buf, at most len bytes, then flushes. */
static int transfer(ring_t *r, int64_t t, int64_t n, char *buf, int64_t len, int dir) {
	for (int64_t i = 0; i < n && i * r->slot_size < len;) {
		int64_t room = r->cap - (t + i) % r->cap, m = n - i < room ? n - i : room;
		int64_t bytes = m * r->slot_size;
		if (i * r->slot_size + bytes > len) bytes = len - i * r->slot_size;
		MPI_Aint at = slot_off(r, (t + i) % r->cap);
		char *p = buf + i * r->slot_size;
		CHECK(dir ? MPI_Put(p, (int)bytes, MPI_BYTE, r->host, at, (int)bytes, MPI_BYTE, r->win)
		          : MPI_Get(p, (int)bytes, MPI_BYTE, r->host, at, (int)bytes, MPI_BYTE, r->win));
		i += m;
	}
	CHECK(MPI_Win_flush(r->host, r->win));
	return 0;
}

/* ring_write writes the k frames in buf (len bytes) for tickets from t,
 * once their slots are free, and publishes them: later frames first, then
 * the first frame with one credit, since a taker may release the whole
 * message as soon as it sees the first frame. R_WAIT: not free yet. */
static int write_frames(ring_t *r, int64_t t, int64_t k, void *buf, int64_t len, int check) {
	int yes;
	int64_t start = ST_START(t), credit = 1;
	if (check) {
		PASS(states_are(r, t, k, 0, &yes));
		if (!yes) return R_WAIT;
	}
	PASS(transfer(r, t, k, buf, len, 1));
	if (k > 1) PASS(set_states(r, t + 1, k - 1, 0, 2));
	CHECK(MPI_Accumulate(&start, 1, MPI_INT64_T, r->host, state_off(r, t % r->cap), 1, MPI_INT64_T, MPI_REPLACE, r->win));
	CHECK(MPI_Accumulate(&credit, 1, MPI_INT64_T, r->host, W_AVAIL * 8, 1, MPI_INT64_T, MPI_SUM, r->win));
	CHECK(MPI_Win_flush(r->host, r->win));
	return R_OK;
}

int ring_write(ring_t *r, int64_t t, int64_t k, void *buf, int64_t len) {
	return write_frames(r, t, k, buf, len, 1);
}

/* ring_put reserves k frames (R_NO if there is no room; *old is the free
 * count before), takes k consecutive tickets and writes the frames. */
int ring_put(ring_t *r, int64_t k, void *buf, int64_t len, int64_t *old, int64_t *ticket) {
	int64_t back;
	PASS(fetch_add(r, W_FREE, -k, old));
	if (*old < k) {
		PASS(fetch_add(r, W_FREE, k, &back));
		return R_NO;
	}
	PASS(fetch_add(r, W_TAIL, k, ticket));
	/* When every frame was free, every taker has released its slots, states
	 * first (release flushes them before it returns the frames), so ours
	 * are free: no need to look. */
	return write_frames(r, *ticket, k, buf, len, *old != r->cap);
}

/* release returns the slots of tickets t..t+k-1 for their next tickets,
 * the frames to the free count, and counts one message taken. */
static int release(ring_t *r, int64_t t, int64_t k) {
	int64_t frames = k, one = 1;
	PASS(set_states(r, t, k, r->cap, 0));
	CHECK(MPI_Accumulate(&frames, 1, MPI_INT64_T, r->host, W_FREE * 8, 1, MPI_INT64_T, MPI_SUM, r->win));
	CHECK(MPI_Accumulate(&one, 1, MPI_INT64_T, r->host, W_TAKEN * 8, 1, MPI_INT64_T, MPI_SUM, r->win));
	CHECK(MPI_Win_flush(r->host, r->win));
	return 0;
}

/* ring_read looks at ticket *t: a first frame is read into first (one slot)
 * and, for a one-frame message, released (R_OK); a longer one returns
 * R_MORE with *k frames. A later frame, or one already released, belongs
 * to another taker's message: it takes the next ticket and looks again.
 * R_WAIT: the frame is not published yet. */
int ring_read(ring_t *r, int64_t *t, void *first, int64_t *k) {
	for (;;) {
		int64_t st;
		CHECK(MPI_Get_accumulate(NULL, 0, MPI_INT64_T, &st, 1, MPI_INT64_T, r->host,
		                         state_off(r, *t % r->cap), 1, MPI_INT64_T, MPI_NO_OP, r->win));
		CHECK(MPI_Win_flush(r->host, r->win));
		if (st == ST_START(*t)) break;
		if (st != ST_CONT(*t) && st < ST_FREE(*t + r->cap)) return R_WAIT;
		PASS(fetch_add(r, W_HEAD, 1, t));
	}
	PASS(transfer(r, *t, 1, first, r->slot_size, 0));
	uint32_t count;
	memcpy(&count, (char *)first + 4, 4);
	*k = count;
	if (*k < 1 || *k > r->cap) return R_MORE; /* corrupt: Go reports it */
	if (*k > 1) return R_MORE;
	PASS(release(r, *t, 1));
	return R_OK;
}

/* ring_take takes a credit (R_NO if none) and a ticket, then reads. */
int ring_take(ring_t *r, void *first, int64_t *t, int64_t *k) {
	int64_t old, back;
	PASS(fetch_add(r, W_AVAIL, -1, &old));
	if (old < 1) {
		PASS(fetch_add(r, W_AVAIL, 1, &back));
		return R_NO;
	}
	PASS(fetch_add(r, W_HEAD, 1, t));
	return ring_read(r, t, first, k);
}

/* ring_finish reads frames 2..k of the message at ticket t into rest and
 * releases the message. */
int ring_finish(ring_t *r, int64_t t, int64_t k, void *rest) {
	PASS(transfer(r, t + 1, k - 1, rest, (k - 1) * r->slot_size, 0));
	PASS(release(r, t, k));
	return R_OK;
}
