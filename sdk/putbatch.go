package mpichan

import (
	"context"
	"fmt"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// Limits of one batch of PutBatch: a quarter of the channel's frames (so
// that takers can drain one batch while the next is written), 256 KiB of
// frames, rma.BatchMax messages.
const putBatchBytes = 256 << 10

// putMany puts the encoded messages in msgs (each behind frameHeader bytes
// of room) in batches: one reservation, one fetch of tickets, one write and
// one publication per batch (on a relay client: one request). It returns
// how many were put.
func (r *ring) putMany(ctx context.Context, msgs [][]byte) (int, error) {
	if err := r.guard.enter(); err != nil {
		return 0, err
	}
	defer r.guard.leave()
	raw := make([][]byte, len(msgs))
	for i, m := range msgs {
		raw[i] = m[frameHeader:]
	}
	done := 0
	for done < len(raw) {
		n, frames, bytes, err := cutBatch(r.lay, r.cap, raw[done:])
		if err != nil {
			return done, err
		}
		if err := r.putOrWait(ctx, false, r.t.prepareBatch(raw[done:done+n], frames)); err != nil {
			return done, err
		}
		done += n
		r.stats.puts(n, bytes, frames-n)
	}
	return done, nil
}

// cutBatch returns how many of msgs (at least one) go into the next batch
// on a channel of capacity frames laid out as lay, their frames and their
// bytes; or ErrTooLarge for a message the channel cannot hold.
func cutBatch(lay layout, capacity int64, msgs [][]byte) (n, frames, bytes int, err error) {
	for _, m := range msgs {
		k := lay.frames(len(m))
		if int64(k) > capacity {
			return 0, 0, 0, tooLarge(lay, capacity, len(m), k)
		}
		if n > 0 && (n == rma.BatchMax || int64(frames+k) > max(1, capacity/4) ||
			(frames+k)*lay.slotSize > putBatchBytes) {
			break
		}
		frames += k
		bytes += len(m)
		n++
	}
	return n, frames, bytes, nil
}

// tooLarge is the error for a message of n bytes, k frames, that a channel
// of capacity frames laid out as lay cannot hold.
func tooLarge(lay layout, capacity int64, n, k int) error {
	return fmt.Errorf("%w: %d bytes need %d frames of %d bytes, the channel holds %d",
		ErrTooLarge, n, k, lay.frameSize, capacity)
}
