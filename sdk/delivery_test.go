package mpichan_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
	mpi "github.com/sbromberger/gompi"
)

// TestExactlyOnce: 4 ranks each put and take at the same time, 200k
// messages of mixed sizes (some span several frames); every id must be taken
// exactly once and intact.
func TestExactlyOnce(t *testing.T) {
	mpitest.Run(t, 4, func(t *testing.T) {
		total := uint64(mpitest.Scaled(200_000))
		if v, err := strconv.Atoi(os.Getenv("MPICHAN_TEST_MESSAGES")); err == nil {
			total = uint64(v) // a smaller run while debugging
		}
		ctx := deadline(t, 4*time.Minute)
		ch := newChan[[]byte](t, mpichan.Options{Capacity: 64, FrameSize: 64})
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
			for id := uint64(rank); id < total; id += uint64(size) {
				if err := ch.Put(ctx, message(id, sizes[id%uint64(len(sizes))])); err != nil {
					putErr <- err
					return
				}
			}
			putErr <- nil
		}()
		counts := make([]int32, total)
		taken := 0
		for msg, err := range ch.All(ctx) {
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
		sum := make([]int32, total)
		if err := mpichan.World().AllreduceInt32s(sum, counts, mpi.OpSum, 0); err != nil {
			t.Fatal(err)
		}
		for id, c := range sum {
			if c != 1 {
				t.Fatalf("id %d taken %d times", id, c)
			}
		}
		st := ch.Stats()
		t.Logf("rank %d: took %d, put %d, retries %d", rank, taken, st.Puts, st.Retries)
	})
}

// TestFIFO: one producer and one consumer see messages in order.
func TestFIFO(t *testing.T) {
	mpitest.Run(t, 2, func(t *testing.T) {
		total := int64(mpitest.Scaled(20_000))
		ctx := deadline(t, 2*time.Minute)
		ch := newChan[[]int64](t, mpichan.Options{Capacity: 16, FrameSize: 16, Host: 1})
		defer free(t, ch)
		if mpichan.Rank() == 0 {
			ch.Claim(int(total))
			for i := int64(0); i < total; i++ {
				if err := ch.Put(ctx, []int64{i, -i, i % 7}); err != nil { // 24 bytes: two frames
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
	})
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
