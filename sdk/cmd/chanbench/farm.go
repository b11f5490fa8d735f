package main

import (
	"fmt"

	mpi "github.com/sbromberger/gompi"
)

// Tags of the two-sided farm.
const (
	tagAsk  = 11
	tagTask = 12
	tagStop = 13
)

// farm is the manager-worker farm a user could write with MPI_Send and
// MPI_Recv: every worker asks rank 0 for a task depth times at the start
// and once more on receiving each task (before checking it), so it keeps
// depth tasks in flight; rank 0 answers each request with the next task, or
// with a stop once all n are out. A worker ends after depth stops. It
// returns how many tasks this rank received (rank 0: 0) after checking
// each one into seen.
func farm(world *mpi.Communicator, n, elems, depth int, seen []int64) (int, error) {
	rank, size := world.Rank(), world.Size()
	ask := []byte{1}
	buf := make([]float64, elems)
	if rank == 0 {
		stops := 0
		next := 0
		for stops < depth*(size-1) {
			st := world.RecvPreallocBytes(ask, mpi.AnySource, tagAsk)
			w := st.GetSource()
			if next < n {
				fill(buf, next)
				world.SendFloat64s(buf, w, tagTask)
				next++
			} else {
				world.SendFloat64s(buf[:1], w, tagStop)
				stops++
			}
		}
		return 0, nil
	}
	for range depth {
		world.SendBytes(ask, 0, tagAsk)
	}
	got := 0
	for stops := 0; stops < depth; {
		st := world.RecvPreallocFloat64s(buf, 0, mpi.AnyTag)
		if st.GetTag() == tagStop {
			stops++
			continue
		}
		world.SendBytes(ask, 0, tagAsk)
		if err := verify(buf[:st.GetCount(mpi.Double)], elems, seen); err != nil {
			return got, err
		}
		got++
	}
	return got, nil
}

// fill makes message i: element j is i*7919 + j, exact in a float64.
func fill(v []float64, i int) {
	base := float64(i) * 7919
	for j := range v {
		v[j] = base + float64(j)
	}
}

// verify checks one message's length and every element, and marks its id.
func verify(v []float64, elems int, seen []int64) error {
	if len(v) != elems {
		return fmt.Errorf("message of %d elements, want %d", len(v), elems)
	}
	i := int(v[0] / 7919)
	if i < 0 || i >= len(seen) {
		return fmt.Errorf("message id %v out of range", v[0])
	}
	base := float64(i) * 7919
	for j, x := range v {
		if x != base+float64(j) {
			return fmt.Errorf("message %d element %d is %v, want %v", i, j, x, base+float64(j))
		}
	}
	seen[i]++
	return nil
}

// exactlyOnce sums every rank's marks on rank 0 and checks each id was
// taken once (collective).
func exactlyOnce(world *mpi.Communicator, seen []int64) error {
	total := make([]int64, len(seen))
	if err := world.AllreduceInt64s(total, seen, mpi.OpSum, 0); err != nil {
		return err
	}
	for i, c := range total {
		if c != 1 {
			return fmt.Errorf("message %d taken %d times", i, c)
		}
	}
	return nil
}
