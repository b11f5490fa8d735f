// Package faultinject kills a rank at a chosen point of the channel
// protocol, for the fault tests. Linking it into a program wraps
// MPI_Fetch_and_op, MPI_Get, MPI_Put and MPI_Win_flush (MPI's profiling
// interface: each wrapper calls its PMPI_ twin). They do nothing unless
// MPICHAN_FAULT is set; then rank MPICHAN_FAULT_RANK sends itself SIGKILL,
// after MPICHAN_FAULT_AFTER occurrences, right after the flush that leaves
// it in one of these states:
//
//   - credit: it holds a credit from W_AVAIL, before it takes a ticket;
//   - take: it holds a credit and a ticket and has read a first frame, but
//     released nothing;
//   - put: it has reserved room, taken tickets and written its frames, but
//     published nothing.
//
// Before dying it prints "mpichan-fault: rank R killed <state> at <unix time>"
// to stderr. Only tests import this package.
package faultinject

/*
#cgo CFLAGS: -O2
*/
import "C"
