package mpichan_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
	mpi "github.com/sbromberger/gompi"
)

// TestTakeAny: two goroutines per rank wait on two channels at once with
// TakeAny while rank 0 puts to both; every message is taken exactly once,
// from the channel it was put to, so no take lost one on the other channel.
// Then TakeAny reports none left on both.
func TestTakeAny(t *testing.T) {
	mpitest.Run(t, 2, func(t *testing.T) {
		const perChannel = 200
		ctx := deadline(t, time.Minute)
		a := newChan[int64](t, mpichan.Options{Capacity: 8, FrameSize: 8, Host: 0})
		defer free(t, a)
		b := newChan[int64](t, mpichan.Options{Capacity: 8, FrameSize: 8, Host: 1})
		defer free(t, b)
		chs := []*mpichan.Channel[int64]{a, b}
		if mpichan.Rank() == 0 {
			if err := errors.Join(a.Claim(perChannel), b.Claim(perChannel)); err != nil {
				t.Fatal(err)
			}
		}
		counts := make([]int32, 2*perChannel)
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for range 2 {
			wg.Go(func() {
				for {
					i, v, ok, err := mpichan.TakeAny(ctx, chs...)
					if err != nil || !ok {
						errs <- err
						return
					}
					if int(v/perChannel) != i {
						errs <- errors.New("message from the wrong channel")
						return
					}
					mu.Lock()
					counts[v]++
					mu.Unlock()
				}
			})
		}
		if mpichan.Rank() == 0 {
			for i := range int64(perChannel) {
				if err := errors.Join(b.Put(ctx, perChannel+i), a.Put(ctx, i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		wg.Wait()
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("rank %d: TakeAny: %v", mpichan.Rank(), err)
			}
		}
		takenOnce(t, counts)
	})
}

// TestTakeFCancel: futures whose takes are given up (their context
// cancelled) lose nothing: each Wait returns the message its take had got,
// or the context's error, and all messages are accounted for.
func TestTakeFCancel(t *testing.T) {
	mpitest.Run(t, 2, func(t *testing.T) {
		const total, futures = 50, 20
		ctx := deadline(t, time.Minute)
		ch := newChan[int64](t, mpichan.Options{Capacity: 64, FrameSize: 8})
		defer free(t, ch)
		world := mpichan.World()
		if mpichan.Rank() == 0 {
			ch.Claim(total)
		}
		short, cancel := context.WithCancel(ctx)
		var fs []*mpichan.Future[int64]
		for range futures {
			fs = append(fs, ch.TakeF(short))
		}
		if mpichan.Rank() == 0 {
			for i := range int64(total) {
				if err := ch.Put(ctx, i); err != nil {
					t.Fatal(err)
				}
			}
		}
		world.Barrier()
		cancel()
		got := 0
		for _, f := range fs {
			_, ok, err := f.Wait()
			if ok {
				got++
			} else if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("given-up take: %v", err)
			}
		}
		for _, err := range ch.All(ctx) { // the rest
			if err != nil {
				t.Fatal(err)
			}
			got++
		}
		sum := make([]int64, 1)
		world.AllreduceInt64s(sum, []int64{int64(got)}, mpi.OpSum, 0)
		if sum[0] != total {
			t.Fatalf("took %d messages in all, want %d", sum[0], total)
		}
	})
}

// TestNoClaimNote: a take that waits on a channel without any Claim or
// Close says so when its context ends, and only then.
func TestNoClaimNote(t *testing.T) {
	mpitest.Run(t, 1, func(t *testing.T) {
		ch := newChan[int64](t, mpichan.Options{Capacity: 4, FrameSize: 8})
		defer free(t, ch)
		short := deadline(t, 20*time.Millisecond)
		_, _, err := ch.Take(short)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no Claim or Close has been made on this channel") {
			t.Fatalf("take on an unclaimed channel: %v", err)
		}
		for _, err = range ch.All(short) {
		}
		if !strings.Contains(fmtErr(err), "no Claim or Close") {
			t.Fatalf("All on an unclaimed channel: %v", err)
		}
		if _, _, _, err = mpichan.TakeAny(short, ch, ch); !strings.Contains(fmtErr(err), "no Claim or Close has been made on any of these channels") {
			t.Fatalf("TakeAny on unclaimed channels: %v", err)
		}
		ch.Claim(1)
		_, _, err = ch.Take(deadline(t, 20*time.Millisecond))
		if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "no Claim") {
			t.Fatalf("take on a claimed channel: %v", err)
		}
	})
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestFreeDeadline: Free on one rank only gives up when its context ends,
// with an error naming the cause, instead of hanging; called again, it waits
// on, and completes with the other ranks' Free.
func TestFreeDeadline(t *testing.T) {
	mpitest.Run(t, 2, func(t *testing.T) {
		ch := newChan[int64](t, mpichan.Options{Capacity: 4, FrameSize: 8})
		if mpichan.Rank() == 1 {
			err := ch.Free(deadline(t, 100*time.Millisecond))
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not every rank") {
				t.Errorf("Free alone: %v", err)
			}
			if err := ch.Put(deadline(t, time.Minute), 1); !errors.Is(err, mpichan.ErrFreed) {
				t.Errorf("Put after a Free that gave up: %v", err)
			}
		}
		mpichan.World().Barrier()
		free(t, ch)
		if err := ch.Free(deadline(t, time.Minute)); !errors.Is(err, mpichan.ErrFreed) {
			t.Errorf("Free after Free: %v", err)
		}
	})
}
