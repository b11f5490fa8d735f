package mpichan_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestCloseWithError: rank 0 fails two channels while every rank has a
// Take and a range over All waiting on the empty one and a Put waiting on
// the full one. All three end with rank 0's error on every rank, and so
// does every later put and take on either channel, also a take on the
// full one, which holds messages. A later CloseWithError on another rank
// changes nothing: the first failure's text stays.
func TestCloseWithError(t *testing.T) {
	mpitest.Run(t, 4, func(t *testing.T) {
		for _, c := range []struct {
			name string
			opt  mpichan.Options
		}{
			{"default", mpichan.Options{}},
			{"MPI atomics", mpichan.Options{NoShared: true}},
		} {
			t.Run(c.name, func(t *testing.T) { closeWithError(t, c.opt) })
		}
	})
}

func closeWithError(t *testing.T, opt mpichan.Options) {
	const capacity = 4
	ctx := deadline(t, time.Minute)
	opt.Capacity, opt.FrameSize, opt.Host = capacity, 8, 1
	empty := newChan[int64](t, opt)
	defer free(t, empty)
	full := newChan[int64](t, opt)
	defer free(t, full)
	rank := mpichan.Rank()
	if rank == 0 {
		for i := range int64(capacity) {
			if err := full.Put(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	barrier(t)
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _, err := empty.Take(ctx)
		errs <- err
	})
	wg.Go(func() {
		var err error
		for _, err = range empty.All(ctx) {
			if err != nil {
				break
			}
		}
		errs <- err
	})
	wg.Go(func() { errs <- full.Put(ctx, 99) })
	// Wait until they wait: each has retried.
	for attempt := 0; empty.Stats().Retries < 2 || full.Stats().Retries < 1; attempt++ {
		if err := mpichan.DefaultBackoff.Wait(ctx, attempt); err != nil {
			t.Fatalf("rank %d: the take, the loop and the put never waited: %v", rank, err)
		}
	}
	barrier(t)
	start := time.Now()
	const text = "claim -3: bad input"
	if rank == 0 {
		if err := errors.Join(empty.CloseWithError(errors.New(text)), full.CloseWithError(errors.New(text))); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	t.Logf("rank %d: the waiting operations ended %v after the failure's barrier", rank, time.Since(start))
	close(errs)
	want := func(what string, err error) {
		t.Helper()
		var fe *mpichan.FailedError
		if !errors.Is(err, mpichan.ErrFailed) || !errors.As(err, &fe) || fe.Rank != 0 || fe.Text != text ||
			!strings.Contains(err.Error(), "mpichan: channel failed by rank 0: "+text) {
			t.Errorf("rank %d: %s: %v, want rank 0's failure %q", rank, what, err, text)
		}
	}
	for err := range errs {
		want("waiting operation", err)
	}
	barrier(t)
	if rank == 2 {
		if err := empty.CloseWithError(errors.New("later")); err != nil {
			t.Fatal(err)
		}
	}
	barrier(t)
	_, _, err := empty.TryTake()
	want("TryTake", err)
	_, _, err = full.TryTake()
	want("TryTake with messages in the channel", err)
	_, _, err = full.Take(ctx)
	want("Take with messages in the channel", err)
	want("TryPut", empty.TryPut(1))
	want("Put", empty.Put(ctx, 1))
	_, err = empty.PutBatch(ctx, []int64{1, 2})
	want("PutBatch", err)
	for _, err := range full.All(ctx) {
		want("All", err)
	}
}

// barrier waits for every rank.
func barrier(t *testing.T) {
	t.Helper()
	mpichan.World().Barrier()
}
