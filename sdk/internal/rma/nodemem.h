/* Memory that every rank of a communicator on one node maps: a POSIX
 * shared-memory segment that the host creates, used when the MPI library
 * cannot make a shared window (Open MPI told to avoid osc sm). */
#ifndef MPICHAN_NODEMEM_H
#define MPICHAN_NODEMEM_H

#include <mpi.h>
#include <stddef.h>

/* nodemem_open is collective over c: rank host creates a zeroed segment of
 * size bytes, every rank maps it at *base (*len bytes) and the host
 * unlinks its name once all have. It returns MPI_SUCCESS, an MPI error
 * code, or -errno of this rank's (or -1 for another rank's) failure to
 * create or map the segment; on failure nothing stays mapped. */
int nodemem_open(MPI_Comm c, int host, size_t size, void **base, size_t *len);
/* nodemem_close unmaps a segment from nodemem_open. */
int nodemem_close(void *base, size_t len);

#endif
