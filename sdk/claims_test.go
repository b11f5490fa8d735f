package mpichan_test

import (
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
	mpi "github.com/sbromberger/gompi"
)

// TestClaims: takers that start before the claim wait for it; claims from
// several ranks add up; none left comes once all claimed messages are taken.
func TestClaims(t *testing.T) {
	mpitest.RunRelayedToo(t, 4, func(t *testing.T) {
		ctx := deadline(t, time.Minute)
		ch := newChan[int64](t, mpichan.Options{Capacity: 8, FrameSize: 8})
		defer free(t, ch)
		rank := int64(mpichan.Rank())
		// Every rank takes first; claims happen later, on each rank.
		f := ch.TakeF(ctx)
		if err := ch.Claim(int(rank) + 1); err != nil { // 1+2+3+4 = 10
			t.Fatal(err)
		}
		for i := int64(0); i <= rank; i++ {
			if err := ch.Put(ctx, 100*rank+i); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		_, ok, err := f.Wait() // ok may be false: other ranks may take all ten
		if err != nil {
			t.Fatalf("rank %d: first take: %v", rank, err)
		}
		if ok {
			n++
		}
		for _, err := range ch.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		total := make([]int64, 1)
		mpichan.World().AllreduceInt64s(total, []int64{int64(n)}, mpi.OpSum, 0)
		if total[0] != 10 {
			t.Fatalf("took %d messages in all, want 10", total[0])
		}
		if st, err := ch.State(); err != nil || st.Claimed != 10 || st.Taken != 10 || !st.Claiming {
			t.Fatalf("state: %+v, %v", st, err)
		}
	})
}
