package mpichan_test

import (
	"errors"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
	mpi "github.com/sbromberger/gompi"
)

// treeDepth is the depth of the binary task tree of the tasks tests:
// 2^(treeDepth+1)-1 tasks, each one's id naming its place in the tree.
const treeDepth = 9

// expandTree takes tasks from ch until none is left. A task is its id in
// a heap-ordered binary tree; one above the last level offers its two
// children to the channel with TryPut, and expands itself, in the same
// iteration, a child that found no room: a taker that waited for room
// could wait for ever, with every other rank waiting in Put too. counts[id]
// is how often this rank expanded id.
func expandTree(t *testing.T, ch *mpichan.Channel[int64], counts []int32, viaTake bool) {
	t.Helper()
	ctx := deadline(t, 2*time.Minute)
	children := func(id int64) error {
		stack := []int64{id}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			counts[id]++
			for c := 2*id + 1; c <= 2*id+2 && c < int64(len(counts)); c++ {
				if err := ch.TryPut(c); errors.Is(err, mpichan.ErrFull) {
					stack = append(stack, c)
				} else if err != nil {
					return err
				}
			}
		}
		return nil
	}
	if viaTake {
		for {
			id, ok, err := ch.Take(ctx)
			if err != nil {
				t.Fatalf("rank %d: Take: %v", mpichan.Rank(), err)
			}
			if !ok {
				return
			}
			if err := errors.Join(children(id), ch.Done()); err != nil {
				t.Fatalf("rank %d: %v", mpichan.Rank(), err)
			}
		}
	}
	for id, err := range ch.All(ctx) {
		if err == nil {
			err = children(id)
		}
		if err != nil {
			t.Fatalf("rank %d: %v", mpichan.Rank(), err)
		}
	}
}

// TestTasks: tasks that put tasks, on a channel small enough to be full
// at times; takes end on every rank exactly when the whole tree is
// expanded, each task once, whether takers range over All or Take and
// mark Done themselves, on shared memory and with MPI atomics.
func TestTasks(t *testing.T) {
	for _, noShared := range []bool{false, true} {
		name := map[bool]string{false: "shared_memory", true: "mpi_atomics"}[noShared]
		t.Run(name, func(t *testing.T) { testTasks(t, noShared) })
	}
}

// testTasks is one configuration of TestTasks.
func testTasks(t *testing.T, noShared bool) {
	mpitest.RunRelayedToo(t, 4, func(t *testing.T) {
		ch := newChan[int64](t, mpichan.Options{Capacity: 4, FrameSize: 8, Tasks: true, NoShared: noShared})
		defer free(t, ch)
		counts := make([]int32, 1<<(treeDepth+1)-1)
		if mpichan.Rank() == 0 {
			if err := ch.Put(deadline(t, time.Minute), 0); err != nil {
				t.Fatal(err)
			}
		}
		expandTree(t, ch, counts, mpichan.Rank()%2 == 1)
		takenOnce(t, counts)
		st, err := ch.State()
		if err != nil || st.Done != st.Claimed || st.Taken != st.Claimed || st.Len != 0 || st.Claimed < 1 {
			t.Fatalf("state after the end: %+v, %v", st, err)
		}
	})
}

// TestTasksHold: a producer that holds no task puts several roots one by
// one inside a Hold; takers that find the queue empty between its puts
// do not end, and every root's tree is expanded.
func TestTasksHold(t *testing.T) {
	mpitest.RunRelayedToo(t, 3, func(t *testing.T) {
		ctx := deadline(t, time.Minute)
		ch := newChan[int64](t, mpichan.Options{Capacity: 4, FrameSize: 8, Tasks: true})
		defer free(t, ch)
		counts := make([]int32, 1<<(treeDepth+1)-1)
		if mpichan.Rank() == 0 {
			if err := ch.Hold(); err != nil {
				t.Fatal(err)
			}
			// The two subtrees below the root, put one by one: the
			// first may be expanded whole before the second is put.
			counts[0]++
			for _, id := range []int64{1, 2} {
				if err := ch.Put(ctx, id); err != nil {
					t.Fatal(err)
				}
				mpichan.World().Barrier() // a taker may take and expand id meanwhile
			}
			if err := ch.Done(); err != nil {
				t.Fatal(err)
			}
		} else {
			mpichan.World().Barrier()
			mpichan.World().Barrier()
		}
		expandTree(t, ch, counts, false)
		takenOnce(t, counts)
	})
}

// TestTasksMisuse: Claim is refused on a Tasks channel, Done and Hold on
// any other, each with ErrInvalid.
func TestTasksMisuse(t *testing.T) {
	mpitest.Run(t, 2, func(t *testing.T) {
		tasks := newChan[int64](t, mpichan.Options{Capacity: 4, FrameSize: 8, Tasks: true})
		defer free(t, tasks)
		plain := newChan[int64](t, mpichan.Options{Capacity: 4, FrameSize: 8})
		defer free(t, plain)
		for what, err := range map[string]error{"Claim on Tasks": tasks.Claim(1), "Done on plain": plain.Done(), "Hold on plain": plain.Hold()} {
			if !errors.Is(err, mpichan.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", what, err)
			}
		}
		var sum [1]int64
		mpichan.World().AllreduceInt64s(sum[:], []int64{1}, mpi.OpSum, 0)
	})
}
