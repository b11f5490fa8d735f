package mpichan

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// Views returns an iterator over the channel's messages, like All, that
// where it can hands each message out without copying it: on the host's
// node (the window is shared memory), a message of one frame is decoded
// in place in the channel's own memory, which stays reserved for it until
// the loop body returns. So v is valid only inside the body: keep a copy
// (slices.Clone) of anything needed later. Messages of several frames,
// messages reached through MPI (off the host's node, Options.RemoteRMA or
// NoShared) and codecs that copy anyway (Gob, Fixed, String) arrive as
// All's do, and their memory is recycled (Recycle) when the body returns.
//
//	for v, err := range ch.Views(ctx) {
//		if err != nil {
//			return err
//		}
//		sum += checksum(v) // read v here; do not keep it
//	}
//
// It pays for large messages, whose copy out of the channel costs more than
// the protocol: a 1 MiB message is moved by the producer's copy alone
// (docs/PERFORMANCE.md). It takes one message at a time (no prefetch), and
// the message in the body holds its slot: a producer that comes round the
// ring to that slot waits for the body to return. Free waits for every
// loop's body to return.
func (c *Channel[T]) Views(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		held := int64(-1) // the ticket of the view in the body, if any
		defer func() {    // the body panicked: still release the slot
			if held >= 0 {
				c.r.release(held)
			}
		}()
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, c.explain(fmt.Errorf("mpichan: take: %w", err)))
				return
			}
			msg, ticket, ok, err := c.r.takeOne(ctx, false, true)
			held = ticket
			v, ok, err := c.decode(msg, ok, err)
			if err != nil || !ok {
				err = errors.Join(err, c.r.release(held))
				held = -1
				if err != nil {
					yield(zero, err)
				}
				return
			}
			more := yield(v, nil)
			err, held = errors.Join(c.r.release(held), c.r.finished()), -1
			if ticket < 0 {
				c.Recycle(v)
			}
			if err != nil {
				if more {
					yield(zero, err)
				}
				return
			}
			if !more {
				return
			}
		}
	}
}
