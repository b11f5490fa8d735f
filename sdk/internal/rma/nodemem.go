package rma

/*
#cgo CFLAGS: -O2
#cgo LDFLAGS: -lrt
#include "nodemem.h"
*/
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

// segment is memory that every rank of a communicator on one node maps
// (nodemem.c): the host's memory of a window from AllocateNodeShared.
type segment struct {
	comm *Comm
	base unsafe.Pointer
	len  C.size_t
}

// AllocateNodeShared is AllocateShared without MPI's one-sided components,
// for a library that cannot make a shared window (Open MPI with osc sm
// left out): the host creates a POSIX shared-memory segment that every
// rank of c (all on one node) maps, and nothing in the returned Win is an
// MPI window. It serves NewRing's CPU atomics only: LockAll and UnlockAll
// do nothing, Free unmaps the segment once every rank is done, and the
// one-sided calls (FetchAdd, Put, Poke) must not be used on it.
func AllocateNodeShared(c *Comm, size, host int) (*Win, error) {
	var base unsafe.Pointer
	var n C.size_t
	rc := C.nodemem_open(c.c, C.int(host), C.size_t(size), &base, &n)
	switch {
	case rc < -1:
		return nil, fmt.Errorf("mpichan: shared memory for a channel (shm_open and mmap in /dev/shm): %w", syscall.Errno(-rc))
	case rc == -1:
		return nil, fmt.Errorf("mpichan: shared memory for a channel (shm_open and mmap in /dev/shm) failed on another rank of the node")
	case rc != C.MPI_SUCCESS:
		return nil, check("MPI_Bcast", rc)
	}
	return &Win{w: C.MPI_WIN_NULL, base: base, host: base, seg: &segment{comm: c, base: base, len: n}}, nil
}

// free waits for every rank of the segment's communicator (so no rank
// still reaches the host's memory), then unmaps it.
func (s *segment) free() error {
	if err := check("MPI_Barrier", C.MPI_Barrier(s.comm.c)); err != nil {
		return err
	}
	if e := C.nodemem_close(s.base, s.len); e != 0 {
		return fmt.Errorf("mpichan: munmap of a channel's shared memory: %w", syscall.Errno(e))
	}
	return nil
}

// Mapped reports whether w is memory from AllocateNodeShared, not an MPI
// window.
func (w *Win) Mapped() bool { return w.seg != nil }
