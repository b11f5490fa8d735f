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
	if err := r.enter(); err != nil {
		return 0, err
	}
	defer r.leave()
	raw := make([][]byte, len(msgs))
	for i, m := range msgs {
		raw[i] = m[frameHeader:]
	}
	done := 0
	for done < len(raw) {
		n, frames, bytes, err := r.cutBatch(raw[done:])
		if err != nil {
			return done, err
		}
		if r.relay != nil {
			err = r.relayPut(ctx, raw[done:done+n], false)
		} else {
			err = r.writeBatch(ctx, false, raw[done:done+n], frames)
		}
		if err != nil {
			return done, err
		}
		done += n
		r.countPuts(n, bytes, frames-n)
	}
	return done, nil
}

// cutBatch returns how many of msgs (at least one) go into the next batch,
// their frames and their bytes; or ErrTooLarge for a message the channel
// cannot hold.
func (r *ring) cutBatch(msgs [][]byte) (n, frames, bytes int, err error) {
	for _, m := range msgs {
		k := r.lay.frames(len(m))
		if int64(k) > r.cap {
			return 0, 0, 0, fmt.Errorf("%w: %d bytes need %d frames of %d bytes, the channel holds %d",
				ErrTooLarge, len(m), k, r.lay.frameSize, r.cap)
		}
		if n > 0 && (n == rma.BatchMax || int64(frames+k) > max(1, r.cap/4) ||
			(frames+k)*r.lay.slotSize > putBatchBytes) {
			break
		}
		frames += k
		bytes += len(m)
		n++
	}
	return n, frames, bytes, nil
}

// writeBatch puts msgs (frames in all) as one batch, unguarded (see
// reserveAndWrite): with try it fails with ErrFull instead of waiting.
func (r *ring) writeBatch(ctx context.Context, try bool, msgs [][]byte, frames int) error {
	buf := alignedBuffer(frames * r.lay.slotSize)
	counts := make([]int64, len(msgs))
	at := 0
	for i, m := range msgs {
		counts[i] = int64(r.lay.encode(buf[at*r.lay.slotSize:], m))
		at += int(counts[i])
	}
	return r.reserveAndWrite(ctx, try,
		func() (int, int64, int64, error) { return r.steps.PutMany(counts, buf) },
		func(ticket int64) (int, error) { return r.steps.WriteMany(ticket, counts, buf) })
}
