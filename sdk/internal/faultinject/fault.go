// Package faultinject kills a rank at a chosen point of the channel
// protocol, for the fault tests. Linking it into a program wraps
// MPI_Fetch_and_op, MPI_Get, MPI_Put and MPI_Win_flush (MPI's profiling
// interface: each wrapper calls its PMPI_ twin), which see a channel whose
// ranks reach the host with MPI one-sided calls, and defines
// rma_fault_hook, which sdk/internal/rma calls for the same operations on
// shared memory (CPU atomics, no MPI call). Both feed one state machine,
// which does nothing unless MPICHAN_FAULT is set; then rank
// MPICHAN_FAULT_RANK sends itself SIGKILL, after MPICHAN_FAULT_AFTER
// occurrences, right after the flush (on shared memory: the point where
// the flush would be) that leaves it in one of these states:
//
//   - credit: it holds one or more credits from W_AVAIL (a single take's
//     or a batch's), before it takes a ticket;
//   - take: it holds credits and tickets and has read frames (a first
//     frame, or a batch's), but released nothing;
//   - put: it has reserved room, taken tickets and written its frames (one
//     message's or a PutBatch's), but published nothing.
//
// Before dying it prints "mpichan-fault: rank R killed <state> over
// <MPI|shared memory> at <unix time>" to stderr. Only tests import this
// package.
package faultinject

/*
#cgo CFLAGS: -O2
*/
import "C"
