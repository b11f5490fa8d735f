package mpichan_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestAllPerLoopError: three goroutines per rank range over one channel,
// each with its own context. One loop per rank is cancelled while it waits;
// it alone reports context.Canceled, the others end cleanly, and every
// message is taken exactly once.
func TestAllPerLoopError(t *testing.T) {
	mpitest.Run(t, 2, func(t *testing.T) {
		const total, loops = 400, 3
		ctx := deadline(t, time.Minute)
		ch := newChan[int64](t, mpichan.Options{Capacity: 16, FrameSize: 8})
		defer free(t, ch)
		world := mpichan.World()
		if mpichan.Rank() == 0 {
			if err := ch.Claim(total); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		counts := make([]int32, total)
		errs := make([]error, loops)
		cancelled, cancel := context.WithCancel(ctx)
		ctxs := []context.Context{cancelled, ctx, ctx}
		var wg sync.WaitGroup
		ended := make(chan struct{}) // loop 0 has ended
		for g := range loops {
			wg.Go(func() {
				if g == 0 {
					defer close(ended)
				}
				for v, err := range ch.All(ctxs[g]) {
					if err != nil {
						errs[g] = err
						return
					}
					mu.Lock()
					counts[v]++
					mu.Unlock()
				}
			})
		}
		put := func(from, to int64) {
			if mpichan.Rank() != 0 {
				return
			}
			for i := from; i < to; i++ {
				if err := ch.Put(ctx, i); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Half the messages, then loop 0 is cancelled on every rank while
		// the claim keeps every loop waiting for the other half, which comes
		// only once every loop 0 has ended.
		put(0, total/2)
		world.Barrier()
		cancel()
		<-ended
		world.Barrier()
		put(total/2, total)
		wg.Wait()

		if !errors.Is(errs[0], context.Canceled) {
			t.Errorf("rank %d: cancelled loop ended with %v, want context.Canceled", mpichan.Rank(), errs[0])
		}
		for g := 1; g < loops; g++ {
			if errs[g] != nil {
				t.Errorf("rank %d: loop %d ended with %v, want nil (another loop was cancelled)", mpichan.Rank(), g, errs[g])
			}
		}
		takenOnce(t, counts)
	})
}
