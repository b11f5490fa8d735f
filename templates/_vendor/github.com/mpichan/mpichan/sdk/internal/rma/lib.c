/* See lib.h. */
#include <stddef.h>
#include <mpi.h>
#include "lib.h"

int start_mpi(int *provided) {
	/* MPI_Init_thread's own failures follow MPI_COMM_WORLD's default
	 * handler (they abort); an error code is returned where MPI lets it. */
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, provided);
}

int stop_mpi(void) { return MPI_Finalize(); }

void error_text(int code, int *class, char *text, int *len) {
	*len = 0;
	if (MPI_Error_class(code, class) != MPI_SUCCESS) *class = -1;
	if (MPI_Error_string(code, text, len) != MPI_SUCCESS) *len = 0;
}

int error_text_max(void) { return MPI_MAX_ERROR_STRING; }

int ibarrier(MPI_Comm c, MPI_Request *req) { return MPI_Ibarrier(c, req); }

int test_request(MPI_Request *req, int *done) { return MPI_Test(req, done, MPI_STATUS_IGNORE); }

int msg_send(MPI_Comm c, int dest, int tag, char *buf, int n) { return MPI_Send(buf, n, MPI_BYTE, dest, tag, c); }

int msg_probe(MPI_Comm c, int source, int tag, int *found, MPI_Message *m, int *from, int *n) {
	MPI_Status st;
	int rc = MPI_Improbe(source, tag, c, found, m, &st);
	if (rc != MPI_SUCCESS || !*found) return rc;
	*from = st.MPI_SOURCE;
	return MPI_Get_count(&st, MPI_BYTE, n);
}

int msg_recv(MPI_Message *m, char *buf, int n) { return MPI_Mrecv(buf, n, MPI_BYTE, m, MPI_STATUS_IGNORE); }
