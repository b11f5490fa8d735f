#include <stdint.h>
#include <stdlib.h>
#include "wake.h"

/* The receive and its buffer live in C memory: MPI holds both until
 * wake_close. Nothing is ever sent on the private communicator. */
struct wake {
	MPI_Comm comm;
	MPI_Request req;
	int64_t buf;
};

int wake_open(wake_h *out) {
	struct wake *w = calloc(1, sizeof *w);
	if (w == NULL) return MPI_ERR_NO_MEM;
	int rc = MPI_Comm_dup(MPI_COMM_SELF, &w->comm);
	if (rc != MPI_SUCCESS) { free(w); return rc; }
	MPI_Comm_set_errhandler(w->comm, MPI_ERRORS_RETURN);
	rc = MPI_Irecv(&w->buf, 1, MPI_INT64_T, 0, 0, w->comm, &w->req);
	if (rc != MPI_SUCCESS) { MPI_Comm_free(&w->comm); free(w); return rc; }
	*out = w;
	return MPI_SUCCESS;
}

int wake_test(wake_h w) {
	int flag;
	return MPI_Test(&w->req, &flag, MPI_STATUS_IGNORE);
}

int wake_close(wake_h w) {
	int rc = MPI_Cancel(&w->req);
	if (rc == MPI_SUCCESS) rc = MPI_Wait(&w->req, MPI_STATUS_IGNORE);
	int rc2 = MPI_Comm_free(&w->comm);
	free(w);
	return rc != MPI_SUCCESS ? rc : rc2;
}
