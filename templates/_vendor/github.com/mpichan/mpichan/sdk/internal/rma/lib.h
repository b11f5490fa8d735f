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

/* Two-sided messages of bytes (the relay, sdk/relay*.go): a blocking
 * send; a matched probe that never waits (*found unset: no message), with
 * the sender and the byte count of a message it found; and the receive of
 * that message. All return MPI_SUCCESS or an MPI error code. */
int msg_send(MPI_Comm c, int dest, int tag, char *buf, int n);
int msg_probe(MPI_Comm c, int source, int tag, int *found, MPI_Message *m, int *from, int *n);
int msg_recv(MPI_Message *m, char *buf, int n);

#endif
