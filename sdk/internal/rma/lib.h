/* Calls on MPI as a whole and on communicators that gompi lacks: start-up
 * and shutdown with errors, MPI's words for its errors, a barrier that can
 * be given up. */
#ifndef MPICHAN_LIB_H
#define MPICHAN_LIB_H

#include <mpi.h>

/* Both return MPI_SUCCESS or an MPI error code. */
int start_mpi(int *provided);
int stop_mpi(void);
/* The class and text of an MPI error code; text holds
 * MPI_MAX_ERROR_STRING bytes. */
void error_text(int code, int *class, char *text, int *len);
int error_text_max(void);
/* A non-blocking barrier on c, and one test of it (*done set when every
 * rank has entered it). Both return MPI_SUCCESS or an MPI error code. */
int ibarrier(MPI_Comm c, MPI_Request *req);
int test_request(MPI_Request *req, int *done);

#endif
