/* See fault.go. Wrappers over four MPI calls (the profiling interface:
 * each calls its PMPI_ twin), which SIGKILL this process at one point of
 * the channel protocol when MPICHAN_FAULT asks for it. */
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Word offsets of the host's control words (sdk/internal/rma/rma.h). */
enum { D_FREE = 0, D_TAIL = 16, D_AVAIL = 24 };
enum { F_NONE, F_CREDIT, F_TAKE, F_PUT };
enum { P_NONE, P_CREDIT, P_GET, P_PUT };

static int mode = -1;  /* F_: which state to die in, once known */
static long after;     /* occurrences to let pass first */
static long seen;
static __thread int pending;        /* P_: what the next flush completes */
static __thread int64_t *credit;    /* result of a credit fetch-and-add */

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
	fprintf(stderr, "mpichan-fault: rank %s killed %s at %lld.%09ld\n", getenv("MPICHAN_FAULT_RANK"), what,
	        (long long)ts.tv_sec, ts.tv_nsec);
	fflush(stderr);
	kill(getpid(), SIGKILL);
}

int MPI_Fetch_and_op(const void *o, void *res, MPI_Datatype dt, int t, MPI_Aint d, MPI_Op op, MPI_Win w) {
	if (mode < 0) setup();
	if (mode == F_CREDIT && d == D_AVAIL && op == MPI_SUM && *(const int64_t *)o == -1) {
		pending = P_CREDIT;
		credit = res;
	}
	return PMPI_Fetch_and_op(o, res, dt, t, d, op, w);
}

int MPI_Get(void *o, int n, MPI_Datatype odt, int t, MPI_Aint d, int tn, MPI_Datatype tdt, MPI_Win w) {
	if (mode < 0) setup();
	if (mode == F_TAKE) pending = P_GET;
	return PMPI_Get(o, n, odt, t, d, tn, tdt, w);
}

int MPI_Put(const void *o, int n, MPI_Datatype odt, int t, MPI_Aint d, int tn, MPI_Datatype tdt, MPI_Win w) {
	if (mode < 0) setup();
	if (mode == F_PUT) pending = P_PUT;
	return PMPI_Put(o, n, odt, t, d, tn, tdt, w);
}

int MPI_Win_flush(int t, MPI_Win w) {
	int rc = PMPI_Win_flush(t, w), p = pending;
	pending = P_NONE;
	if (rc != MPI_SUCCESS) return rc;
	if (p == P_CREDIT && *credit >= 1) die("holding a credit (before its ticket)");
	if (p == P_GET) die("during a take (credit, ticket and first frame read; nothing released)");
	if (p == P_PUT) die("during a put (room reserved, frames written; nothing published)");
	return rc;
}
