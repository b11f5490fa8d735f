package mpichan_test

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
	mpi "github.com/sbromberger/gompi"
)

func TestMain(m *testing.M) { mpitest.Main(m) }

// deadline bounds every multi-rank test body, so nothing hangs forever.
func deadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newChan[T any](t *testing.T, o mpichan.Options) *mpichan.Channel[T] {
	t.Helper()
	ch, err := mpichan.New[T](mpichan.World(), o)
	if err != nil {
		t.Fatalf("rank %d: New: %v", mpichan.Rank(), err)
	}
	return ch
}

func free[T any](t *testing.T, ch *mpichan.Channel[T]) {
	t.Helper()
	if err := ch.Free(deadline(t, time.Minute)); err != nil {
		t.Fatalf("rank %d: Free: %v", mpichan.Rank(), err)
	}
}

// message makes a payload for id: size bytes of id-seeded noise followed by
// its CRC, so the taker can check it arrived intact.
func message(id uint64, size int) []byte {
	b := make([]byte, 8+size+4)
	binary.LittleEndian.PutUint64(b, id)
	r := rand.New(rand.NewPCG(id, 7))
	for i := 8; i < 8+size; i++ {
		b[i] = byte(r.Uint32())
	}
	binary.LittleEndian.PutUint32(b[8+size:], crc32.ChecksumIEEE(b[:8+size]))
	return b
}

func check(b []byte) (uint64, bool) {
	if len(b) < 12 {
		return 0, false
	}
	n := len(b) - 4
	return binary.LittleEndian.Uint64(b), crc32.ChecksumIEEE(b[:n]) == binary.LittleEndian.Uint32(b[n:])
}

// takenOnce fails the test unless, summed over every rank, each message
// was taken exactly once (counts[id]: this rank's takes of message id).
func takenOnce(t *testing.T, counts []int32) {
	t.Helper()
	sum := make([]int32, len(counts))
	if err := mpichan.World().AllreduceInt32s(sum, counts, mpi.OpSum, 0); err != nil {
		t.Fatal(err)
	}
	for id, c := range sum {
		if c != 1 {
			t.Fatalf("message %d taken %d times", id, c)
		}
	}
}
