/* See rma.h. */
#include <stdlib.h>
#include <string.h>
#include "rma.h"

int rma_fetch_add(MPI_Win w, int t, MPI_Aint d, int64_t v, int64_t *old) {
	int rc = MPI_Fetch_and_op(&v, old, MPI_INT64_T, t, d, MPI_SUM, w);
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

// rma_alloc_shared allocates a window in memory that every rank of c (all
// on one node) can address, and sets *host_base to rank host's part.
int rma_alloc_shared(MPI_Comm c, MPI_Aint size, int host, MPI_Win *w, void **base, void **host_base) {
	MPI_Aint hsize;
	int unit, rc = MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, c, base, w);
	if (rc != MPI_SUCCESS) return rc;
	rc = MPI_Win_set_errhandler(*w, MPI_ERRORS_RETURN);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_shared_query(*w, host, &hsize, &unit, host_base);
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

// rma_node splits c by node (MPI_Comm_split_type SHARED, ranks in c's
// order), and each node further into parts virtual nodes when parts > 1
// (world rank r in part r % parts): *node gets this rank's node, *one is
// set when that node holds every rank of c, and *host_local is rank host's
// rank in *node, or -1 when host is on another node.
int rma_node(MPI_Comm c, int host, int parts, MPI_Comm *node, int *one, int *host_local) {
	MPI_Group all, mine;
	int n, size, rc = MPI_Comm_split_type(c, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, node);
	if (rc != MPI_SUCCESS) return rc;
	if (parts > 1) {
		MPI_Comm shared = *node;
		int world;
		MPI_Comm_rank(MPI_COMM_WORLD, &world);
		rc = MPI_Comm_split(shared, world % parts, 0, node); /* key 0: c's order */
		MPI_Comm_free(&shared);
		if (rc != MPI_SUCCESS) return rc;
	}
	MPI_Comm_set_errhandler(*node, MPI_ERRORS_RETURN);
	MPI_Comm_size(*node, &n);
	MPI_Comm_size(c, &size);
	*one = n == size;
	MPI_Comm_group(c, &all);
	MPI_Comm_group(*node, &mine);
	rc = MPI_Group_translate_ranks(all, 1, &host, mine, host_local);
	MPI_Group_free(&all);
	MPI_Group_free(&mine);
	if (*host_local == MPI_UNDEFINED) *host_local = -1;
	return rc;
}

int rma_comm_free(MPI_Comm *c) { return MPI_Comm_free(c); }
int rma_rank(MPI_Comm c, int *r) { return MPI_Comm_rank(c, r); }
int rma_size(MPI_Comm c, int *s) { return MPI_Comm_size(c, s); }

void rma_library(char *buf, int *n) { MPI_Get_library_version(buf, n); }
int rma_lib_max(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
int rma_initialized(void) { int f = 0; MPI_Initialized(&f); return f; }
int rma_finalized(void) { int f = 0; MPI_Finalized(&f); return f; }

/* ---- RemoteChannel protocol steps (docs/DESIGN.md) ---- */

/* Steps return an R_ code, or minus an MPI error code. */
#define CHECK(call) do { int rc_ = (call); if (rc_ != MPI_SUCCESS) return -rc_; } while (0)
#define PASS(call) do { int rc_ = (call); if (rc_ < 0) return rc_; } while (0)
#define CHUNK 64            /* state words handled per MPI call */
#define MAX_BYTES (1 << 30) /* bytes moved per MPI call */

/* A ring reaches its host's window one way only: through MPI one-sided
 * operations, or (shm != NULL: every rank on the host's node, window from
 * MPI_Win_allocate_shared) through CPU atomics and memcpy on the host's
 * memory, with no MPI call at all. MPI does not promise that the two are
 * atomic with respect to each other, so a ring never mixes them. */
struct ring {
	MPI_Win win;
	int host;
	int64_t cap;       /* slots */
	int64_t slot_size; /* bytes per slot, a multiple of 8 */
	char *shm;         /* the host's memory, when reached with CPU atomics */
};

ring_h ring_new(MPI_Win win, int host, int64_t cap, int64_t slot_size, void *shm) {
	ring_t *r = malloc(sizeof *r);
	if (r) *r = (ring_t){win, host, cap, slot_size, shm};
	return (ring_h)r;
}

void ring_free(ring_h h) { free((ring_t *)h); }

int ring_shared(ring_h h) { return ((ring_t *)h)->shm != NULL; }

/* ---- Transport: each operation below is one MPI call on the window
 * (completed only by op_flush), or, on shared memory, a CPU atomic or a
 * memcpy that is complete when it returns. The atomics are sequentially
 * consistent read-modify-writes, so a producer's frames (memcpy) are
 * visible to whoever sees its state raised after them, and a taker's
 * reads are over before anyone sees its release. */

/* Fault injection for tests: sdk/internal/faultinject defines this hook;
 * in any other program it is NULL. On shared memory no MPI call is made,
 * so it sees the operations that its MPI wrappers see on the other path. */
enum { FAULT_FETCH, FAULT_GET, FAULT_PUT, FAULT_FLUSH };
void rma_fault_hook(int what, MPI_Aint d, int64_t v, MPI_Op op, int64_t *old) __attribute__((weak));
#define FAULT(what, d, v, op, old) do { if (rma_fault_hook) rma_fault_hook(what, d, v, op, old); } while (0)

static int64_t *word(ring_t *r, MPI_Aint d) { return (int64_t *)(r->shm + d); }

static int64_t shm_max(int64_t *p, int64_t v) {
	int64_t old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
	while (old < v && !__atomic_compare_exchange_n(p, &old, v, 1, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	return old;
}

/* op_fetch applies op (MPI_SUM, MPI_MAX, MPI_BOR, MPI_NO_OP) with v to the
 * word at d; *old gets the value before. */
static int op_fetch(ring_t *r, MPI_Aint d, int64_t v, int64_t *old, MPI_Op op) {
	if (!r->shm) {
		CHECK(MPI_Fetch_and_op(&v, old, MPI_INT64_T, r->host, d, op, r->win));
		return 0;
	}
	int64_t *p = word(r, d);
	if (op == MPI_SUM) *old = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
	else if (op == MPI_MAX) *old = shm_max(p, v);
	else if (op == MPI_BOR) *old = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
	else *old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
	FAULT(FAULT_FETCH, d, v, op, old);
	return 0;
}

/* op_acc applies op (MPI_SUM or MPI_MAX) with v[i] to n words from d; v
 * must live until the flush. */
static int op_acc(ring_t *r, MPI_Aint d, int n, const int64_t *v, MPI_Op op) {
	if (!r->shm) {
		CHECK(MPI_Accumulate(v, n, MPI_INT64_T, r->host, d, n, MPI_INT64_T, op, r->win));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		int64_t *p = word(r, d + 8 * i);
		if (op == MPI_SUM) __atomic_fetch_add(p, v[i], __ATOMIC_SEQ_CST);
		else shm_max(p, v[i]);
	}
	return 0;
}

/* op_load reads n words from d, each atomically, into out. */
static int op_load(ring_t *r, MPI_Aint d, int n, int64_t *out) {
	if (!r->shm) {
		CHECK(MPI_Get_accumulate(NULL, 0, MPI_INT64_T, out, n, MPI_INT64_T, r->host, d, n, MPI_INT64_T, MPI_NO_OP, r->win));
		return 0;
	}
	for (int i = 0; i < n; i++) out[i] = __atomic_load_n(word(r, d + 8 * i), __ATOMIC_SEQ_CST);
	return 0;
}

/* op_move puts (dir 1) or gets (dir 0) n bytes between buf and d. */
static int op_move(ring_t *r, MPI_Aint d, char *buf, int64_t n, int dir) {
	if (r->shm) {
		if (dir) memcpy(r->shm + d, buf, n);
		else memcpy(buf, r->shm + d, n);
		FAULT(dir ? FAULT_PUT : FAULT_GET, d, 0, MPI_NO_OP, NULL);
		return 0;
	}
	for (int64_t at = 0; at < n; at += MAX_BYTES) {
		int c = (int)(n - at < MAX_BYTES ? n - at : MAX_BYTES);
		CHECK(dir ? MPI_Put(buf + at, c, MPI_BYTE, r->host, d + at, c, MPI_BYTE, r->win)
		          : MPI_Get(buf + at, c, MPI_BYTE, r->host, d + at, c, MPI_BYTE, r->win));
	}
	return 0;
}

/* op_flush completes the MPI operations started so far. */
static int op_flush(ring_t *r) {
	if (!r->shm) CHECK(MPI_Win_flush(r->host, r->win));
	else FAULT(FAULT_FLUSH, 0, 0, MPI_NO_OP, NULL);
	return 0;
}

static int fetch_op(ring_t *r, MPI_Aint d, int64_t v, int64_t *old, MPI_Op op) {
	PASS(op_fetch(r, d, v, old, op));
	return op_flush(r);
}

/* ring_word applies op (0 sum, 1 bitwise or) to control word w: the calls
 * Claim and Close make, through the ring's one way to its window. */
int ring_word(ring_h h, int w, int64_t v, int or, int64_t *old) {
	ring_t *r = (ring_t *)h;
	return fetch_op(r, w * 8, v, old, or ? MPI_BOR : MPI_SUM);
}

/* ring_load reads n control words from word w. */
int ring_load(ring_h h, int w, int n, int64_t *out) {
	ring_t *r = (ring_t *)h;
	PASS(op_load(r, w * 8, n, out));
	return op_flush(r);
}

/* ---- Steps ---- */

static MPI_Aint state_off(ring_t *r, int64_t t) { return (CTRL_WORDS + t % r->cap) * 8; }
static MPI_Aint slot_off(ring_t *r, int64_t t) { return (CTRL_WORDS + r->cap) * 8 + (t % r->cap) * r->slot_size; }

/* run_len is how many of the n tickets from t lie in consecutive slots (the
 * ring wraps at most once), capped at max. */
static int64_t run_len(ring_t *r, int64_t t, int64_t n, int64_t max) {
	int64_t room = r->cap - t % r->cap;
	n = n < room ? n : room;
	return n < max ? n : max;
}

/* load_states reads the states of tickets t..t+n-1 into out (n <= CHUNK),
 * without flushing. */
static int load_states(ring_t *r, int64_t t, int64_t n, int64_t *out) {
	for (int64_t i = 0; i < n;) {
		int64_t m = run_len(r, t + i, n - i, CHUNK);
		PASS(op_load(r, state_off(r, t + i), (int)m, out + i));
		i += m;
	}
	return 0;
}

/* states_free reports whether the slots of tickets t..t+n-1 are free for
 * them: their states have reached ST_FREE(t+i). */
static int states_free(ring_t *r, int64_t t, int64_t n, int *yes) {
	int64_t got[CHUNK];
	*yes = 0;
	for (int64_t i = 0; i < n;) {
		int64_t m = n - i < CHUNK ? n - i : CHUNK;
		PASS(load_states(r, t + i, m, got));
		PASS(op_flush(r));
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
		if (i > 0) PASS(op_flush(r)); /* before v is reused */
		int64_t m = run_len(r, t + i, n - i, CHUNK);
		for (int64_t j = 0; j < m; j++) v[j] = 3 * (t + i + j + shift) + (i + j ? rest : first);
		if (m == 1) /* one word: a fetch-and-op is cheaper than an accumulate */
			PASS(op_fetch(r, state_off(r, t + i), v[0], v + CHUNK, MPI_MAX));
		else
			PASS(op_acc(r, state_off(r, t + i), (int)m, v, MPI_MAX));
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
		PASS(op_move(r, slot_off(r, t + i), buf + done, bytes, dir));
		done += bytes;
		i += m;
	}
	return op_flush(r);
}

/* publish raises the states of the n messages whose frames were just
 * written from ticket t (count[i] frames each, k in all) to "first frame"
 * / "later frame" and adds n credits: one flush (one per CHUNK states).
 * Their order does not matter: a taker only reads a frame its state
 * names, and a taker that releases a message before a later frame's state
 * arrives has raised it further. */
static int publish(ring_t *r, int64_t t, int64_t k, int64_t n, const int64_t *count) { /* model: @publish */
	int64_t v[CHUNK + 1], was, msg = 0, left = count[0];
	for (int64_t i = 0; i < k;) {
		if (i > 0) PASS(op_flush(r)); /* before v is reused */
		int64_t m = run_len(r, t + i, k - i, CHUNK);
		for (int64_t j = 0; j < m; j++) {
			v[j] = 3 * (t + i + j) + (left == count[msg] ? 1 : 2);
			if (--left == 0 && ++msg < n) left = count[msg];
		}
		if (m == 1) /* one word: a fetch-and-op is cheaper than an accumulate */
			PASS(op_fetch(r, state_off(r, t + i), v[0], v + CHUNK, MPI_MAX));
		else
			PASS(op_acc(r, state_off(r, t + i), (int)m, v, MPI_MAX));
		i += m;
	}
	PASS(op_fetch(r, W_AVAIL * 8, n, &was, MPI_SUM)); /* model: @publish */
	return op_flush(r);
}

/* write_frames writes the frames in buf (len bytes) of n messages
 * (count[i] frames each, k in all) for tickets from t, once their slots are
 * free (R_WAIT: not yet), then publishes them.
 * With data, buf is the one frame's header and data its len bytes, put
 * from where they are. */
static int write_frames(ring_t *r, int64_t t, int64_t k, char *buf, char *data, int64_t len, int64_t n, const int64_t *count) {
	int yes;
	PASS(states_free(r, t, k, &yes)); /* model: @slot-check */
	if (!yes) return R_WAIT;
	if (data) {
		PASS(op_move(r, slot_off(r, t), buf, 8, 1)); /* model: @write */
		PASS(op_move(r, slot_off(r, t) + 8, data, len, 1));
		PASS(op_flush(r));
	} else {
		PASS(move(r, t, k, buf, len, 1)); /* model: @write */
	}
	return publish(r, t, k, n, count);
}

/* reserve takes k frames from free (R_NO if there is no room; *old is the
 * free count before) and k consecutive tickets. */
static int reserve(ring_t *r, int64_t k, int64_t *old, int64_t *ticket) {
	int64_t back;
	PASS(fetch_op(r, W_FREE * 8, -k, old, MPI_SUM)); /* model: @reserve */
	if (*old < k) {
		PASS(fetch_op(r, W_FREE * 8, k, &back, MPI_SUM)); /* model: @reserve-back */
		return R_NO;
	}
	return fetch_op(r, W_TAIL * 8, k, ticket, MPI_SUM); /* model: @ticket */
}

int ring_write(ring_h h, int64_t t, int64_t k, char *buf, char *data, int64_t len) {
	ring_t *r = (ring_t *)h;
	return write_frames(r, t, k, buf, data, len, 1, &k);
}

/* ring_put reserves k frames (R_NO if there is no room; *old is the free
 * count before), takes k consecutive tickets and writes the frames (with
 * data: one frame, header in buf and len bytes of data apart). */
int ring_put(ring_h h, int64_t k, char *buf, char *data, int64_t len, int64_t *old, int64_t *ticket) {
	ring_t *r = (ring_t *)h;
	PASS(reserve(r, k, old, ticket));
	if (*old < k) return R_NO;
	/* The slots are always looked at, even when every frame was free at
	 * the reservation: the tickets come in a later call, and meanwhile
	 * other puts and takes may have gone round the ring while one message
	 * stayed held, whose slot the new tickets can then reach (see
	 * docs/RELIABILITY.md, "Slot check"). */
	return write_frames(r, *ticket, k, buf, data, len, 1, &k);
}

/* ring_put_many is ring_put for n messages at once (count[i] frames each,
 * k in all, their frames one after another in buf): one reservation, one
 * fetch of k tickets, one write, one publication. Their tickets are
 * consecutive, so a taker sees them in order. */
int ring_put_many(ring_h h, int64_t n, const int64_t *count, char *buf, int64_t len, int64_t *old, int64_t *ticket) { /* model: @put-many */
	ring_t *r = (ring_t *)h;
	int64_t k = 0;
	for (int64_t i = 0; i < n; i++) k += count[i];
	PASS(reserve(r, k, old, ticket));
	if (*old < k) return R_NO;
	return write_frames(r, *ticket, k, buf, NULL, len, n, count); /* slots looked at: see ring_put */
}

/* ring_write_many retries ring_put_many's write for a held ticket. */
int ring_write_many(ring_h h, int64_t t, int64_t n, const int64_t *count, char *buf, int64_t len) {
	ring_t *r = (ring_t *)h;
	int64_t k = 0;
	for (int64_t i = 0; i < n; i++) k += count[i];
	return write_frames(r, t, k, buf, NULL, len, n, count);
}

/* release returns the slots of tickets t..t+k-1 for their next tickets,
 * the frames to the free count, and counts msgs messages taken: one
 * flush. */
static int release(ring_t *r, int64_t t, int64_t k, int64_t msgs) { /* model: @release */
	int64_t v[CHUNK + 1], inc[2] = {k, msgs};
	PASS(raise_states(r, t, k, r->cap, 0, 0, v));
	PASS(op_acc(r, W_FREE * 8, 2, inc, MPI_SUM));
	return op_flush(r);
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
 * returns R_MORE with *k frames. With view, on shared memory, nothing is
 * read (first may be NULL): *view points at the first frame's slot in the
 * host's memory, and the message stays held, until ring_release for a
 * whole one (R_OK), until ring_finish for a longer one (R_MORE). */
static int first_frame(ring_t *r, int64_t t, char *first, char **view, int64_t *k) {
	uint32_t count;
	if (view && r->shm) {
		*view = r->shm + slot_off(r, t); /* model: @view */
		memcpy(&count, *view + 4, 4);
		*k = count;
		return *k == 1 ? R_OK : R_MORE;
	}
	PASS(move(r, t, 1, first, r->slot_size, 0)); /* model: @first-frame */
	memcpy(&count, first + 4, 4);
	*k = count;
	if (*k != 1) return R_MORE; /* or corrupt: Go checks */
	PASS(release(r, t, 1, 1));
	return R_OK;
}

/* ring_release releases the message of k frames at ticket t that a view
 * take (ring_take with view) left held. */
int ring_release(ring_h h, int64_t t, int64_t k) {
	return release((ring_t *)h, t, k, 1);
}

/* ring_read looks at the state of ticket *t until it finds a first frame,
 * taking the next ticket past other takers' frames. */
int ring_read(ring_h h, int64_t *t, char *first, char **view, int64_t *k) {
	ring_t *r = (ring_t *)h;
	for (;;) {
		int64_t st;
		PASS(fetch_op(r, state_off(r, *t), 0, &st, MPI_NO_OP)); /* model: @examine */
		int e = examine(*t, st);
		if (e == R_OK) return first_frame(r, *t, first, view, k);
		if (e == R_WAIT) return R_WAIT;
		PASS(fetch_op(r, W_HEAD * 8, 1, t, MPI_SUM)); /* model: @next-ticket */
	}
}

/* ring_take takes a credit (R_NO if none) and a ticket, then reads. With a
 * guess (>= 0) it reads the guessed ticket's state in the same flush as it
 * takes the ticket, which saves a flush whenever the guess comes true. The
 * early look is safe whatever it sees: a state names its ticket, only the
 * ticket's producer raises it to "first frame", and it does so after its
 * frames are complete; anything else is looked at again or skipped.
 * view (or NULL) asks for a view of a one-frame message (first_frame). */
int ring_take(ring_h h, char *first, char **view, int64_t guess, int64_t *t, int64_t *k) {
	ring_t *r = (ring_t *)h;
	int64_t old, back, st;
	PASS(fetch_op(r, W_AVAIL * 8, -1, &old, MPI_SUM)); /* model: @credit */
	if (old < 1) {
		PASS(fetch_op(r, W_AVAIL * 8, 1, &back, MPI_SUM)); /* model: @credit-back */
		return R_NO;
	}
	if (guess < 0) {
		PASS(fetch_op(r, W_HEAD * 8, 1, t, MPI_SUM)); /* model: @take-ticket */
		return ring_read(h, t, first, view, k);
	}
	PASS(op_fetch(r, W_HEAD * 8, 1, t, MPI_SUM));
	PASS(op_fetch(r, state_off(r, guess), 0, &st, MPI_NO_OP)); /* model: @guess */
	PASS(op_flush(r));
	if (*t != guess) return ring_read(h, t, first, view, k);
	int e = examine(*t, st);
	if (e == R_OK) return first_frame(r, *t, first, view, k);
	if (e == R_WAIT) return R_WAIT;
	PASS(fetch_op(r, W_HEAD * 8, 1, t, MPI_SUM)); /* model: @next-ticket */
	return ring_read(h, t, first, view, k);
}

/* ring_finish reads frames 2..k of the message at ticket t into rest and
 * releases the message. */
int ring_finish(ring_h h, int64_t t, int64_t k, char *rest) {
	ring_t *r = (ring_t *)h;
	PASS(move(r, t + 1, k - 1, rest, (k - 1) * r->slot_size, 0)); /* model: @finish */
	PASS(release(r, t, k, 1));
	return R_OK;
}

/* ring_take_many takes up to want messages (want <= BATCH_MAX) into buf
 * (room for want slots), b holding what the batch has not finished.
 * A new batch (b->credits == 0) takes min(want, available) credits in one
 * fetch-and-add (R_NO if none: nothing changed), then as many tickets in
 * one more, in the same flush as it gives back the credits it could not
 * use and reads the states of the guessed tickets; a batch in progress
 * goes on from b->next. It reads the states of its tickets, the frames of
 * the published prefix in one get, and releases the whole messages in
 * one flush; tickets of other takers' frames are skipped, and as many new
 * tickets taken, until the batch holds a message for each credit.
 * Returns R_OK with b->n messages (ticket, count and offset in buf; the
 * last may be partial: Go finishes it), R_WAIT with none when the next
 * ticket is not published yet (call again), or R_BAD for a corrupt count. */
int ring_take_many(ring_h h, int64_t want, int64_t guess, char *buf, batch_t *b) {
	ring_t *r = (ring_t *)h;
	int64_t st[BATCH_MAX], old, back, t0, give = 0;
	int have = 0;
	b->n = 0;
	b->partial = 0;
	if (b->credits == 0) {
		PASS(fetch_op(r, W_AVAIL * 8, -want, &old, MPI_SUM)); /* model: @batch-credit */
		b->avail = old;
		int64_t c = old < want ? old : want;
		if (c < 1) {
			PASS(fetch_op(r, W_AVAIL * 8, want, &back, MPI_SUM)); /* model: @batch-credit-back */
			return R_NO;
		}
		give = want - c;
		if (give) PASS(op_acc(r, W_AVAIL * 8, 1, &give, MPI_SUM));
		PASS(op_fetch(r, W_HEAD * 8, c, &t0, MPI_SUM)); /* model: @batch-tickets */
		if (guess >= 0) PASS(load_states(r, guess, c, st));
		PASS(op_flush(r));
		have = guess == t0;
		b->hit = have;
		b->credits = c;
		b->next = t0;
		b->end = t0 + c;
	}
	for (;;) {
		if (b->next == b->end) { /* skipped others' frames: more tickets */
			PASS(fetch_op(r, W_HEAD * 8, b->credits, &t0, MPI_SUM)); /* model: @batch-more-tickets */
			b->next = t0;
			b->end = t0 + b->credits;
			have = 0;
		}
		int64_t n = b->end - b->next;
		if (!have) {
			PASS(load_states(r, b->next, n, st)); /* model: @batch-states */
			PASS(op_flush(r));
		}
		have = 0;
		int64_t w = b->next, first = -1;
		for (; w < b->end; w++) {
			int e = examine(w, st[w - b->next]);
			if (e == R_WAIT) break;
			if (e == R_OK) {
				if (first < 0) first = w;
				b->ticket[b->n++] = w;
			}
		}
		b->next = w;
		if (b->n == 0) {
			if (w < b->end) return R_WAIT;
			continue;
		}
		PASS(move(r, first, w - first, buf, (w - first) * r->slot_size, 0)); /* model: @batch-read */
		/* Whole messages are released together, runs of adjacent
		 * tickets in one update each. */
		int64_t frames = 0, whole = 0, run = -1, len = 0, v[CHUNK + 1];
		for (int64_t i = 0; i < b->n; i++) {
			int64_t t = b->ticket[i], off = (t - first) * r->slot_size;
			uint32_t count;
			memcpy(&count, buf + off + 4, 4);
			if (count < 1 || count > r->cap) return R_BAD;
			b->count[i] = count;
			b->off[i] = off;
			if (t + count > w) { /* runs past what was read: Go finishes it */
				if (i != b->n - 1) return R_BAD; /* frames of two messages */
				b->partial = 1; /* model: @batch-finish */
				break;
			}
			if (run >= 0 && t != run + len) {
				PASS(raise_states(r, run, len, r->cap, 0, 0, v));
				PASS(op_flush(r));
				run = -1;
			}
			if (run < 0) run = t, len = 0;
			len += count;
			frames += count;
			whole++;
		}
		if (run >= 0) PASS(raise_states(r, run, len, r->cap, 0, 0, v));
		int64_t inc[2] = {frames, whole};
		if (whole) PASS(op_acc(r, W_FREE * 8, 2, inc, MPI_SUM)); /* model: @batch-release */
		PASS(op_flush(r));
		b->credits -= b->n;
		return R_OK;
	}
}
