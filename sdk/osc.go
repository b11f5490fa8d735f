package mpichan

import "github.com/mpichan/mpichan/sdk/internal/rma"

// allocateShared makes the window of a channel whose ranks all share one
// node, reached with CPU atomics: MPI_Win_allocate_shared, or, when the
// MPI library cannot make a shared window, a shared-memory segment of the
// SDK's own (rma.AllocateNodeShared).
//
// The library cannot when Open MPI is told to leave out osc sm
// (OMPI_MCA_osc=rdma, =ucx, =pt2pt or =^sm, as some sites configure it).
// The channel then went through MPI one-sided operations served by the
// component left, each completed by the host's progress engine, and ran
// 30-100x slower than on osc sm (7 ranks, capacity 12: osc rdma about
// 17,000 messages/s against more than 400,000; osc ucx about 150, under
// the process-wide lock it needs; docs/MPI.md). On one node the channel
// needs no MPI one-sided operation at all, so it no longer depends on
// which component the site picked.
func allocateShared(wc *rma.Comm, size, target int) (*rma.Win, error) {
	w, err := rma.AllocateShared(wc, size, target)
	if err == nil {
		return w, nil
	}
	return rma.AllocateNodeShared(wc, size, target)
}
