/* See fault.go. Two ways to see the channel's operations, feeding one
 * state machine: wrappers over four MPI calls (the profiling interface:
 * each calls its PMPI_ twin), for channels whose ranks reach the host with
 * MPI one-sided calls, and rma_fault_hook, which sdk/internal/rma calls on
 * shared memory, where no MPI call is made. When MPICHAN_FAULT asks, the
 * process SIGKILLs itself at one point of the channel protocol. */
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Word offsets of the host's control words (sdk/internal/rma/rma.h). */
enum { D_AVAIL = 24 };
enum { F_NONE, F_CREDIT, F_TAKE, F_PUT };
enum { P_NONE, P_CREDIT, P_GET, P_PUT };
/* rma_fault_hook's operations (sdk/internal/rma/rma.c). */
enum { FAULT_FETCH, FAULT_GET, FAULT_PUT, FAULT_FLUSH };

static int mode = -1;  /* F_: which state to die in, once known */
static long after;     /* occurrences to let pass first */
static long seen;
static __thread int pending;        /* P_: what the next flush completes */
static __thread int64_t *credit;    /* result of a credit fetch-and-add */
static __thread const char *how;    /* "MPI" or "shared memory" */

static void setup(void) {
	const char *m = getenv("MPICHAN_FAULT"), *r = getenv("MPICHAN_FAULT_RANK"), *a = getenv("MPICHAN_FAULT_AFTER");
	int rank = -1;
	mode = F_NONE;
	if (!m || !r) return;
	PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
	if (rank != atoi(r)) return;
	if (!strcmp(m, "credit")) mode = F_CREDIT;
	else if (!strcmp(m, "take")) mode = F_TAKE;
	else if (!strcmp(m, "put")) mode = F_PUT;
	after = a ? atol(a) : 0;
}

static void die(const char *what) {
	if (__atomic_add_fetch(&seen, 1, __ATOMIC_SEQ_CST) <= after) return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "mpichan-fault: rank %s killed %s over %s at %lld.%09ld\n", getenv("MPICHAN_FAULT_RANK"), what,
	        how, (long long)ts.tv_sec, ts.tv_nsec);
	fflush(stderr);
	kill(getpid(), SIGKILL);
}

/* fetch notes a fetch-and-op: a take of one or more credits (a negative
 * sum on avail) is the credit state once its flush shows it got some. */
static void fetch(MPI_Aint d, int64_t v, MPI_Op op, int64_t *old, const char *via) {
	if (mode < 0) setup();
	if (mode == F_CREDIT && d == D_AVAIL && op == MPI_SUM && v < 0) {
		pending = P_CREDIT;
		credit = old;
		how = via;
	}
}

static void move(int put, const char *via) {
	if (mode < 0) setup();
	if (mode == (put ? F_PUT : F_TAKE)) {
		pending = put ? P_PUT : P_GET;
		how = via;
	}
}

/* flushed: the operations noted since the last flush are complete. */
static void flushed(void) {
	int p = pending;
	pending = P_NONE;
	if (p == P_CREDIT && *credit >= 1) die("holding a credit (before its ticket)");
	if (p == P_GET) die("during a take (credit, ticket and frames read; nothing released)");
	if (p == P_PUT) die("during a put (room reserved, frames written; nothing published)");
}

void rma_fault_hook(int what, MPI_Aint d, int64_t v, MPI_Op op, int64_t *old) {
	static const char via[] = "shared memory";
	switch (what) {
	case FAULT_FETCH: fetch(d, v, op, old, via); break;
	case FAULT_GET: move(0, via); break;
	case FAULT_PUT: move(1, via); break;
	case FAULT_FLUSH: flushed(); break;
	}
}

int MPI_Fetch_and_op(const void *o, void *res, MPI_Datatype dt, int t, MPI_Aint d, MPI_Op op, MPI_Win w) {
	fetch(d, o && dt == MPI_INT64_T ? *(const int64_t *)o : 0, op, res, "MPI");
	return PMPI_Fetch_and_op(o, res, dt, t, d, op, w);
}

int MPI_Get(void *o, int n, MPI_Datatype odt, int t, MPI_Aint d, int tn, MPI_Datatype tdt, MPI_Win w) {
	move(0, "MPI");
	return PMPI_Get(o, n, odt, t, d, tn, tdt, w);
}

int MPI_Put(const void *o, int n, MPI_Datatype odt, int t, MPI_Aint d, int tn, MPI_Datatype tdt, MPI_Win w) {
	move(1, "MPI");
	return PMPI_Put(o, n, odt, t, d, tn, tdt, w);
}

int MPI_Win_flush(int t, MPI_Win w) {
	int rc = PMPI_Win_flush(t, w);
	if (rc == MPI_SUCCESS) flushed();
	else pending = P_NONE;
	return rc;
}
