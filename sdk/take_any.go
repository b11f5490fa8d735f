package mpichan

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
)

// TakeAny takes one message from whichever of chs has one first, like a
// select over several Go channels: i is the index in chs of the channel it
// came from. It takes from one channel only, so the others lose nothing.
// Channels that have none left are passed over; ok is false when none is
// left on any of them. It waits, with the first channel's Backoff, until
// ctx ends.
func TakeAny[T any](ctx context.Context, chs ...*Channel[T]) (i int, v T, ok bool, err error) {
	if len(chs) == 0 {
		return -1, v, false, fmt.Errorf("%w: TakeAny of no channel", ErrInvalid)
	}
	over := make([]bool, len(chs)) // none left there
	left := len(chs)
	for attempt := 0; ; attempt++ {
		start := rand.IntN(len(chs)) // no channel starves the others
		for j := range chs {
			i := (start + j) % len(chs)
			if over[i] {
				continue
			}
			v, ok, err := chs[i].TryTake()
			switch {
			case errors.Is(err, ErrEmpty):
			case err != nil || ok:
				return i, v, ok, err
			default:
				over[i] = true
				left--
			}
		}
		if left == 0 {
			return -1, v, false, nil
		}
		if err := chs[0].r.backoff.Wait(ctx, attempt); err != nil {
			return -1, v, false, waitNote(fmt.Errorf("mpichan: take: %w", err), waited(chs, over)...)
		}
	}
}

// waited is the cores of the channels that TakeAny still waited on.
func waited[T any](chs []*Channel[T], over []bool) []*ring {
	var rs []*ring
	for i, c := range chs {
		if !over[i] {
			rs = append(rs, &c.r)
		}
	}
	return rs
}
