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
// one publication per batch. It returns how many were put.
func (r *ring) putMany(ctx context.Context, msgs [][]byte) (int, error) {
	done := 0
	for done < len(msgs) {
		frames, bytes, counts := 0, 0, make([]int64, 0, min(len(msgs)-done, rma.BatchMax))
		for _, m := range msgs[done:] {
			k := r.lay.frames(len(m) - frameHeader)
			if int64(k) > r.cap {
				return done, fmt.Errorf("%w: %d bytes need %d frames of %d bytes, the channel holds %d",
					ErrTooLarge, len(m)-frameHeader, k, r.lay.frameSize, r.cap)
			}
			if len(counts) > 0 && (len(counts) == rma.BatchMax || int64(frames+k) > max(1, r.cap/4) ||
				(frames+k)*r.lay.slotSize > putBatchBytes) {
				break
			}
			frames += k
			bytes += len(m) - frameHeader
			counts = append(counts, int64(k))
		}
		buf := alignedBuffer(frames * r.lay.slotSize)
		at := 0
		for i := range counts {
			at += r.lay.encode(buf[at*r.lay.slotSize:], msgs[done+i][frameHeader:])
		}
		err := r.reserveAndWrite(ctx, false,
			func() (int, int64, int64, error) { return r.steps.PutMany(counts, buf) },
			func(ticket int64) (int, error) { return r.steps.WriteMany(ticket, counts, buf) })
		if err != nil {
			return done, err
		}
		done += len(counts)
		r.stats[sPuts].Add(int64(len(counts)))
		r.stats[sBytesPut].Add(int64(bytes))
		r.stats[sExtraFramesPut].Add(int64(frames - len(counts)))
	}
	return done, nil
}
