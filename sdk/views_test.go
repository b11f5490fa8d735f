package mpichan_test

import (
	"context"
	"errors"
	"testing"
	"time"
	"unsafe"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestViews: rank 0 puts messages of 1,024 float64 through a channel of 2
// slots; the other ranks range over Views. On shared memory every message
// is read in place (no more distinct addresses than slots) and intact at
// the end of the body although the producer is lapping the ring; through
// MPI (NoShared) they are copies. A body that calls Free sees it refused
// while its view is held (shared memory), a body that panics still releases its slot,
// a second loop takes the rest, and every message arrives exactly once.
func TestViews(t *testing.T) {
	for _, c := range []struct {
		name    string
		opt     mpichan.Options
		inPlace bool
	}{
		{"shared", mpichan.Options{FrameSize: 8 << 10, Capacity: 2}, true},
		{"MPI", mpichan.Options{FrameSize: 8 << 10, Capacity: 2, NoShared: true}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			mpitest.Run(t, 3, func(t *testing.T) { views(t, c.opt, c.inPlace) })
		})
	}
}

func views(t *testing.T, o mpichan.Options, inPlace bool) {
	const n, elems = 400, 1024
	ctx := deadline(t, time.Minute)
	ch := newChan[[]float64](t, o)
	defer free(t, ch)
	rank := mpichan.Rank()
	if rank == 0 {
		if err := ch.Claim(n); err != nil {
			t.Fatal(err)
		}
		v := make([]float64, elems)
		for i := range n {
			for j := range v {
				v[j] = float64(i*elems + j)
			}
			if err := ch.Put(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	counts := make([]int32, n)
	places := map[unsafe.Pointer]bool{}
	take := func(v []float64) {
		i := int(v[0]) / elems
		for j, x := range v { // the whole message, at the end of the body
			if len(v) != elems || i < 0 || i >= n || x != float64(i*elems+j) {
				t.Fatalf("rank %d: message %d arrived wrong (element %d is %v)", rank, i, j, x)
			}
		}
		counts[i]++
		places[unsafe.Pointer(&v[0])] = true
	}
	if rank != 0 {
		func() {
			defer func() {
				if p := recover(); p != nil && p != "stop" {
					panic(p)
				}
			}()
			for v, err := range ch.Views(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				if inPlace { // a copy holds nothing: Free would go on to wait for the other ranks
					short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
					err := ch.Free(short)
					cancel()
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Fatalf("rank %d: Free while a view is held: %v, want it refused at its deadline", rank, err)
					}
				}
				take(v)
				panic("stop")
			}
		}()
		for v, err := range ch.Views(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			take(v)
		}
		if inPlace && len(places) > o.Capacity {
			t.Errorf("rank %d: messages at %d distinct addresses, want at most %d (the slots): not read in place", rank, len(places), o.Capacity)
		}
	}
	takenOnce(t, counts)
}
