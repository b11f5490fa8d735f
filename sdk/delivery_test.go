package mpichan_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestExactlyOnce: 4 ranks each put and take at the same time, 200k
// messages of mixed sizes (some span several frames); every id must be taken
// exactly once and intact. It runs on every path a one-node job can take:
// shared memory with CPU atomics and batched takes (the default), MPI
// atomics (NoShared) with batched takes, takes one at a time, and puts in
// batches (PutBatch); with a quarter of the messages each, a twentieth
// with MPI atomics (every operation a round trip through the host's MPI).
func TestExactlyOnce(t *testing.T) {
	mpitest.RunRelayedToo(t, 4, func(t *testing.T) {
		total := mpitest.Scaled(200_000)
		if v, err := strconv.Atoi(os.Getenv("MPICHAN_TEST_MESSAGES")); err == nil {
			total = v // a smaller run while debugging
		}
		for _, c := range []struct {
			name  string
			opt   mpichan.Options
			total int
			batch int  // messages per PutBatch; 0: Put
			views bool // takers range over Views, not All
		}{
			{"default", mpichan.Options{}, total, 0, false},
			{"MPI atomics", mpichan.Options{NoShared: true}, total / 20, 0, false},
			{"one at a time", mpichan.Options{Prefetch: 1}, total / 4, 0, false},
			{"PutBatch", mpichan.Options{}, total / 4, 13, false},
			{"PutBatch, MPI atomics", mpichan.Options{NoShared: true}, total / 20, 13, false},
			// 8 KiB frames: across nodes a loop keeps several take
			// requests in flight (two messages to an answer).
			{"8 KiB frames", mpichan.Options{FrameSize: 8 << 10}, total / 20, 0, false},
			// Views: messages read in place while producers lap the
			// ring; longer messages (several frames) are copied.
			{"Views", mpichan.Options{}, total / 4, 0, true},
			{"Views, MPI atomics", mpichan.Options{NoShared: true}, total / 20, 0, true},
		} {
			c.opt.Capacity = 64
			if c.opt.FrameSize == 0 {
				c.opt.FrameSize = 64
			}
			t.Run(c.name, func(t *testing.T) { exactlyOnce(t, c.opt, uint64(c.total), c.batch, c.views) })
		}
	})
}

func exactlyOnce(t *testing.T, opt mpichan.Options, total uint64, batch int, views bool) {
	ctx := deadline(t, 4*time.Minute)
	ch := newChan[[]byte](t, opt)
	defer free(t, ch)
	rank, size := mpichan.Rank(), mpichan.Size()
	if rank == 0 {
		if err := ch.Claim(int(total)); err != nil {
			t.Fatal(err)
		}
	}
	sizes := []int{0, 10, 52, 53, 100, 300, 1000}
	putErr := make(chan error, 1)
	go func() {
		var group [][]byte
		for id := uint64(rank); id < total; id += uint64(size) {
			msg := message(id, sizes[id%uint64(len(sizes))])
			if batch == 0 {
				if err := ch.Put(ctx, msg); err != nil {
					putErr <- err
					return
				}
				continue
			}
			if group = append(group, msg); len(group) == batch || id+uint64(size) >= total {
				if n, err := ch.PutBatch(ctx, group); err != nil || n != len(group) {
					putErr <- fmt.Errorf("PutBatch put %d of %d: %v", n, len(group), err)
					return
				}
				group = group[:0]
			}
		}
		putErr <- nil
	}()
	counts := make([]int32, total)
	taken := 0
	msgs := ch.All(ctx)
	if views {
		msgs = ch.Views(ctx)
	}
	for msg, err := range msgs {
		if err != nil {
			t.Fatalf("rank %d: take: %v", rank, err)
		}
		id, ok := check(msg)
		if !ok || id >= total {
			t.Fatalf("rank %d: corrupt message (id %d, %d bytes)", rank, id, len(msg))
		}
		counts[id]++
		taken++
	}
	if err := <-putErr; err != nil {
		t.Fatalf("rank %d: put: %v", rank, err)
	}
	takenOnce(t, counts)
	st := ch.Stats()
	t.Logf("rank %d: took %d, put %d, retries %d, relay requests %d", rank, taken, st.Puts, st.Retries, st.Requests)
}

// TestFIFO: one producer and one consumer see messages in order: with
// the channel on the consumer's rank, and on the producer's with 8 KiB
// frames (across nodes the consumer then keeps several take requests in
// flight).
func TestFIFO(t *testing.T) {
	mpitest.RunRelayedToo(t, 2, func(t *testing.T) {
		t.Run("host consumes", func(t *testing.T) { fifo(t, mpichan.Options{Capacity: 16, FrameSize: 16, Host: 1}, 1) })
		t.Run("host produces, 8 KiB frames", func(t *testing.T) {
			fifo(t, mpichan.Options{Capacity: 32, FrameSize: 8 << 10, Host: 0}, 4)
		})
	})
}

// fifo puts total/shrink messages on rank 0 and takes them on rank 1.
func fifo(t *testing.T, opt mpichan.Options, shrink int) {
	total := int64(mpitest.Scaled(20_000) / shrink)
	ctx := deadline(t, 2*time.Minute)
	ch := newChan[[]int64](t, opt)
	defer free(t, ch)
	if mpichan.Rank() == 0 {
		ch.Claim(int(total))
		for i := int64(0); i < total; i++ {
			if err := ch.Put(ctx, []int64{i, -i, i % 7}); err != nil { // 24 bytes: two 16-byte frames
				t.Fatal(err)
			}
		}
		return
	}
	next := int64(0)
	for v, err := range ch.All(ctx) {
		if err != nil {
			t.Fatalf("took %d of %d: %v", next, total, err)
		}
		if len(v) != 3 || v[0] != next || v[1] != -next {
			t.Fatalf("got %v, want message %d", v, next)
		}
		next++
	}
	if next != total {
		t.Fatalf("took %d of %d", next, total)
	}
}

// TestSeveralChannels: channels on different hosts coexist, and PutF copies
// its value at call time.
func TestSeveralChannels(t *testing.T) {
	mpitest.Run(t, 2, func(t *testing.T) {
		ctx := deadline(t, time.Minute)
		a := newChan[[]float64](t, mpichan.Options{Capacity: 4, FrameSize: 32, Host: 0})
		defer free(t, a)
		b := newChan[string](t, mpichan.Options{Capacity: 4, FrameSize: 8, Host: 1})
		defer free(t, b)
		if mpichan.Rank() == 0 {
			a.Claim(3)
			buf := []float64{1, 2}
			var fs []*mpichan.Future[struct{}]
			for i := range 3 {
				buf[0] = float64(i) // reusing the buffer must be safe
				fs = append(fs, a.PutF(ctx, buf))
			}
			for _, f := range fs {
				if _, ok, err := f.Wait(); !ok || err != nil {
					t.Fatal(err)
				}
			}
			if v, ok, err := b.Take(ctx); v != "a reply longer than one frame" || !ok || err != nil {
				t.Fatalf("reply %q %v %v", v, ok, err)
			}
			return
		}
		sum := 0.0
		for v, err := range a.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			sum += v[0] + v[1]
		}
		if sum != 0+1+2+3*2 {
			t.Fatalf("sum %v: PutF did not copy its value", sum)
		}
		if err := b.Put(ctx, "a reply longer than one frame"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLoopStopKeepsMessages: a range over All that breaks early leaves the
// messages it prefetched to this rank's next takes, in order: a loop of
// one message at a time, a Take, then a loop to the end see them all,
// once each, in the order they were put.
func TestLoopStopKeepsMessages(t *testing.T) {
	mpitest.RunRelayedToo(t, 2, func(t *testing.T) {
		// At least 4 prefetches' worth, so that loops stop with messages held.
		total := int64(max(mpitest.Scaled(3000), 64))
		ctx := deadline(t, 2*time.Minute)
		ch := newChan[[]int64](t, mpichan.Options{Capacity: 64, FrameSize: 16, Prefetch: 16})
		defer free(t, ch)
		if mpichan.Rank() == 0 {
			ch.Claim(int(total))
			for i := int64(0); i < total; i++ {
				if err := ch.Put(ctx, []int64{i}); err != nil {
					t.Fatal(err)
				}
			}
			return
		}
		next := int64(0)
		want := func(v []int64) {
			t.Helper()
			if len(v) != 1 || v[0] != next {
				t.Fatalf("got %v, want message %d", v, next)
			}
			next++
		}
		for next < total/2 {
			for v, err := range ch.All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				want(v)
				break
			}
			v, ok, err := ch.Take(ctx)
			if err != nil || !ok {
				t.Fatalf("take %d: %v %v", next, ok, err)
			}
			want(v)
		}
		for v, err := range ch.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			want(v)
		}
		if next != total {
			t.Fatalf("took %d of %d", next, total)
		}
	})
}
