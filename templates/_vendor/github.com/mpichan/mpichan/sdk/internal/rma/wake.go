package rma

/*
#cgo CFLAGS: -O2
#include "wake.h"
*/
import "C"

// Wake is a receive that never completes, on a private duplicate of
// MPI_COMM_SELF where nothing is sent. Testing it runs the MPI library's
// whole progress engine: Open MPI's MPI_Test on an incomplete request
// calls opal_progress, which serves osc ucx's incoming one-sided
// operations, while a one-sided call on the caller's own window and
// MPI_Iprobe reach that engine only every 100th call or so (measured
// across the test hosts: a poller thread making 9,000 such polls a second
// left remote fetch-and-ops waiting for the whole time the host's main
// thread computed; testing a Wake served them in about 1 ms; docs/MPI.md).
type Wake struct{ w C.wake_h }

// OpenWake posts the receive.
func OpenWake() (*Wake, error) {
	var w Wake
	if err := check("MPI_Irecv", C.wake_open(&w.w)); err != nil {
		return nil, err
	}
	return &w, nil
}

// Test makes one call into MPI's progress engine (MPI_Test).
func (w *Wake) Test() error { return check("MPI_Test", C.wake_test(w.w)) }

// Close cancels the receive and frees its communicator.
func (w *Wake) Close() error { return check("MPI_Cancel", C.wake_close(w.w)) }
