#include "nodemem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the host tells the other ranks: its errno (0: created), the size
 * and the segment's name. */
typedef struct {
	int64_t err, size;
	char name[64];
} nodemem_msg;

static int64_t nodemem_seq;

/* map_segment maps name's size bytes (creating them when create) at *base
 * and returns 0 or errno. */
static int map_segment(const char *name, size_t size, int create, void **base) {
	int fd = create ? shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600) : shm_open(name, O_RDWR, 0);
	if (fd < 0) return errno;
	int err = 0;
	if (create && ftruncate(fd, (off_t)size) != 0) err = errno;
	if (!err) {
		*base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (*base == MAP_FAILED) err = errno;
	}
	close(fd);
	if (err && create) shm_unlink(name);
	return err;
}

int nodemem_open(MPI_Comm c, int host, size_t size, void **base, size_t *len) {
	int rank, rc = MPI_Comm_rank(c, &rank);
	if (rc != MPI_SUCCESS) return rc;
	nodemem_msg m = {0};
	*base = NULL;
	if (rank == host) {
		snprintf(m.name, sizeof m.name, "/mpichan-%ld-%ld", (long)getpid(), (long)__atomic_add_fetch(&nodemem_seq, 1, __ATOMIC_SEQ_CST));
		m.size = (int64_t)(size ? size : 1);
		m.err = map_segment(m.name, (size_t)m.size, 1, base);
	}
	if ((rc = MPI_Bcast(&m, sizeof m, MPI_BYTE, host, c)) != MPI_SUCCESS) {
		if (rank == host && !m.err) { munmap(*base, (size_t)m.size); shm_unlink(m.name); }
		return rc;
	}
	int64_t mine = m.err, worst = 0;
	if (rank != host && !m.err) mine = map_segment(m.name, (size_t)m.size, 0, base);
	rc = MPI_Allreduce(&mine, &worst, 1, MPI_INT64_T, MPI_MAX, c);
	if (rank == host && !m.err) shm_unlink(m.name); /* every rank has mapped it, or given up */
	if (rc != MPI_SUCCESS || worst != 0) {
		if (*base && !mine) munmap(*base, (size_t)m.size);
		*base = NULL;
		return rc != MPI_SUCCESS ? rc : mine ? -(int)mine : -1;
	}
	*len = (size_t)m.size;
	return MPI_SUCCESS;
}

int nodemem_close(void *base, size_t len) { return munmap(base, len) == 0 ? 0 : errno; }
