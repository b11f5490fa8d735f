package mpichan

import (
	"fmt"
	"os"
	"strconv"
)

// The heap floor. Every message a rank takes arrives in memory of its own,
// fresh from the Go heap: the caller owns it (Recycle gives it back). With
// Go's default GOGC=100 a rank whose live heap is small collects garbage
// each time it has allocated 4 MB, every 500 messages of 8 KiB, and on a
// node with more ranks than cores each cycle stalls the rank for
// milliseconds. Measured (CHANGELOG.md, the heap floor): MPICH, one
// node, 4 ranks on 2 cores, 200,000 messages of 8 KiB, takers range over
// All: 129-142k msg/s without a floor, 251-289k with 16 MiB.
//
// Init therefore reserves a floor: one allocation of 16 MiB that
// holds no pointers and is never written. The collector does not scan it
// and the kernel maps none of its pages, but it counts as live heap, so the
// collector's goal is at least twice the floor. A rank whose own data is
// large barely notices: the floor adds its size to the goal.
//
// A user who tunes the collector (GOGC or GOMEMLIMIT set) gets no floor;
// MPICHAN_HEAP_FLOOR_MB sets its size in MiB, and 0 turns it off.

// defaultHeapFloorMB is the heap floor's size in MiB when
// MPICHAN_HEAP_FLOOR_MB is not set: 12-28 MiB moved 8 KiB messages fastest
// (60 MiB was slower again: fresh pages cost more than collections).
const defaultHeapFloorMB = 16

// heapFloor is the reserved floor; it is never read or written.
var heapFloor []byte

// reserveHeapFloor makes the floor that the environment asks for.
func reserveHeapFloor() error {
	mb, err := heapFloorMB(os.LookupEnv)
	if err != nil {
		return err
	}
	if mb > 0 && heapFloor == nil {
		heapFloor = make([]byte, mb<<20)
	}
	return nil
}

// heapFloorMB is the floor's size in MiB that the environment asks for.
func heapFloorMB(lookup func(string) (string, bool)) (int, error) {
	for _, gc := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, set := lookup(gc); set {
			return 0, nil
		}
	}
	s, set := lookup("MPICHAN_HEAP_FLOOR_MB")
	if !set {
		return defaultHeapFloorMB, nil
	}
	mb, err := strconv.Atoi(s)
	if err != nil || mb < 0 || mb > 1<<20 {
		return 0, fmt.Errorf("%w: MPICHAN_HEAP_FLOOR_MB=%q: want a whole number of MiB from 0 (no floor) to %d", ErrInvalid, s, 1<<20)
	}
	return mb, nil
}
