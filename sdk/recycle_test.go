package mpichan_test

import (
	"testing"
	"time"
	"unsafe"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestRecycle: rank 0 puts 1 MiB (or 8 KiB) messages, rank 1 takes them
// (half with All, half with Take) and recycles each. Every message arrives
// intact, and every take after the first reads into the memory recycled
// before it; a slice that did not come from a take is never reused.
func TestRecycle(t *testing.T) {
	for _, o := range []struct {
		name  string
		opt   mpichan.Options
		elems int
	}{
		{"shared", mpichan.Options{FrameSize: 1 << 20, Capacity: 4}, 1 << 17},
		{"MPI", mpichan.Options{FrameSize: 1 << 20, Capacity: 4, NoShared: true}, 1 << 17},
		// A loop on shared memory that has a message given back takes one
		// message at a time, into it, rather than a batch into fresh memory.
		{"shared 8 KiB", mpichan.Options{FrameSize: 8 << 10, Capacity: 16}, 1 << 10},
	} {
		t.Run(o.name, func(t *testing.T) {
			mpitest.Run(t, 2, func(t *testing.T) { recycle(t, o.opt, o.elems) })
		})
	}
}

func recycle(t *testing.T, o mpichan.Options, elems int) {
	const n = 40
	ctx := deadline(t, time.Minute)
	ch := newChan[[]float64](t, o)
	defer free(t, ch)
	if mpichan.Rank() == 0 {
		if err := ch.Claim(n); err != nil {
			t.Fatal(err)
		}
		v := make([]float64, elems)
		for i := range n {
			v[0], v[elems-1] = float64(i), float64(-i)
			if err := ch.Put(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	var last, foreign unsafe.Pointer
	reused := 0
	check := func(i int, v []float64) {
		if len(v) != elems || v[0] != float64(i) || v[elems-1] != float64(-i) {
			t.Fatalf("message %d arrived wrong", i)
		}
		at := unsafe.Pointer(&v[0])
		if at == foreign {
			t.Fatalf("message %d was read into a slice that no take returned", i)
		}
		if at == last {
			reused++
		}
		if i == n/4 { // not from a take: ignored
			mine := make([]float64, elems)
			foreign = unsafe.Pointer(&mine[0])
			ch.Recycle(mine)
		}
		last = at
		ch.Recycle(v)
	}
	i := 0
	for v, err := range ch.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		check(i, v)
		if i++; i == n/2 {
			break
		}
	}
	for ; i < n; i++ {
		v, ok, err := ch.Take(ctx)
		if err != nil || !ok {
			t.Fatalf("take %d: %v %v", i, ok, err)
		}
		check(i, v)
	}
	if reused != n-1 {
		t.Errorf("%d of %d takes read into the memory recycled before them, want all", reused, n-1)
	}
}
