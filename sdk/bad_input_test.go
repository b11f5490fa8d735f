package mpichan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestBadInput: every bad input gives its documented error on every rank
// involved, without a hang (each body has a deadline) and leaves the channel
// usable.
func TestBadInput(t *testing.T) {
	mpitest.RunRelayedToo(t, 3, func(t *testing.T) {
		rank := mpichan.Rank()
		world := mpichan.World()
		expect := func(what string, err, want error) {
			t.Helper()
			if !errors.Is(err, want) {
				t.Fatalf("rank %d: %s: got %v, want %v", rank, what, err, want)
			}
		}

		// Different parameters on different ranks: everyone gets ErrMismatch.
		_, err := mpichan.New[[]byte](world, mpichan.Options{Capacity: 8 + rank})
		expect("capacity differs", err, mpichan.ErrMismatch)
		var me *mpichan.MismatchError
		if !errors.As(err, &me) || me.Param != "capacity" {
			t.Fatalf("rank %d: want a MismatchError naming capacity, got %v", rank, err)
		}
		_, err = mpichan.New[[]byte](world, mpichan.Options{FrameSize: 64 << rank})
		expect("frame size differs", err, mpichan.ErrMismatch)
		if rank == 1 {
			_, err = mpichan.New[string](world, mpichan.Options{})
		} else {
			_, err = mpichan.New[[]byte](world, mpichan.Options{})
		}
		expect("message type differs", err, mpichan.ErrMismatch)
		if !errors.As(err, &me) || !strings.Contains(err.Error(), "[]uint8") || !strings.Contains(err.Error(), "string") {
			t.Fatalf("rank %d: a type mismatch should name both types: %v", rank, err)
		}
		if rank == 0 {
			t.Logf("type mismatch: %v", err)
		}
		host := 0
		if rank == 2 {
			host = 1
		}
		_, err = mpichan.New[[]byte](world, mpichan.Options{Host: host})
		expect("host differs", err, mpichan.ErrMismatch)

		// The same bad parameters everywhere: ErrInvalid everywhere.
		for _, o := range []mpichan.Options{{Capacity: -1}, {FrameSize: -5}, {Host: 3}, {Capacity: mpichan.MaxCapacity + 1}} {
			_, err = mpichan.New[[]byte](world, o)
			expect("invalid options", err, mpichan.ErrInvalid)
		}

		ch := newChan[[]byte](t, mpichan.Options{Capacity: 4, FrameSize: 16, Host: 1})
		ctx := deadline(t, time.Minute)

		// Too large: refused before anything is written; the channel works on.
		expect("too large", ch.Put(ctx, make([]byte, 4*16+1)), mpichan.ErrTooLarge)
		expect("negative claim", ch.Claim(-1), mpichan.ErrInvalid)
		world.Barrier()
		if rank == 0 {
			if err := ch.Put(ctx, make([]byte, 4*16)); err != nil { // exactly the capacity
				t.Fatal(err)
			}
			expect("full", ch.TryPut([]byte("x")), mpichan.ErrFull)
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			expect("put on a full channel past its deadline", ch.Put(short, []byte("x")), context.DeadlineExceeded)
			cancel()
		}
		world.Barrier()
		if rank == 2 {
			if v, ok, err := ch.Take(ctx); err != nil || !ok || len(v) != 64 {
				t.Fatalf("take after refused put: %d bytes, ok=%v, err=%v", len(v), ok, err)
			}
			_, _, err := ch.TryTake()
			expect("empty, no claims yet", err, mpichan.ErrEmpty)
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_, _, err = ch.Take(short)
			expect("take on an empty channel past its deadline", err, context.DeadlineExceeded)
			cancel()
			if n, err := ch.Len(); err != nil || n != 0 {
				t.Fatalf("Len after drain: %d, %v", n, err)
			}
		}
		world.Barrier()

		// Close: puts fail everywhere, takes drain what remains, then none left.
		if rank == 0 {
			for _, s := range []string{"a", "b"} {
				if err := ch.Put(ctx, []byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			if err := ch.Close(); err != nil {
				t.Fatal(err)
			}
			if err := ch.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
		}
		world.Barrier()
		expect("put after close", ch.Put(ctx, []byte("late")), mpichan.ErrClosed)
		expect("tryput after close", ch.TryPut([]byte("late")), mpichan.ErrClosed)
		world.Barrier()
		if rank == 1 {
			got := ""
			var err error
			for v, e := range ch.All(ctx) {
				got, err = got+string(v), e
			}
			if got != "ab" || err != nil {
				t.Fatalf("drained %q (%v), want \"ab\"", got, err)
			}
			if st, err := ch.State(); err != nil || !st.Closed || st.Len != 0 {
				t.Fatalf("state after drain: %+v, %v", st, err)
			}
		}
		world.Barrier()
		if _, ok, err := ch.Take(ctx); ok || err != nil {
			t.Fatalf("rank %d: take on a closed, drained channel: ok=%v err=%v", rank, ok, err)
		}

		// An error of MPI's own (a target rank that does not exist) is an
		// exported *MPIError with MPI's class and text.
		var mpiErr *mpichan.MPIError
		err = mpichan.FetchAddOnRank(ch, world.Size()+5)
		if !errors.As(err, &mpiErr) || mpiErr.Op == "" || mpiErr.Code == 0 || mpiErr.Class <= 0 || mpiErr.Text == "" {
			t.Fatalf("rank %d: fetch-and-op on a rank that is not there: %#v (%v)", rank, mpiErr, err)
		}
		if rank == 0 {
			t.Logf("MPI's own error: %v", err)
		}

		free(t, ch)
		expect("put after free", ch.Put(ctx, nil), mpichan.ErrFreed)
		_, _, err = ch.Take(ctx)
		expect("take after free", err, mpichan.ErrFreed)
		expect("free twice", ch.Free(ctx), mpichan.ErrFreed)
	})
}
