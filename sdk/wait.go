package mpichan

import (
	"context"
	"errors"
	"fmt"
)

// The one wait loop: every put and take, on every transport, tries once
// (transport) and, when the channel is full or empty, decides here what
// comes next. For a take: a message that a loop on this rank stopped with
// (held) comes first; then, in a range loop, the end of its context; then
// none left ends the take (ok false); then TryTake gives up (ErrEmpty); else
// the take backs off (Backoff.Wait, which returns early when ctx ends) and
// tries again. For a put: closed ends it (ErrClosed), TryPut gives up
// (ErrFull), else it backs off and tries again. Each wait counts as a retry
// (Stats.Retries).

// putOrWait puts o, waiting while the channel is full (unless try). The
// first try is made here, outside the loop, so that a put that finds room
// costs no more than that try.
func (r *ring) putOrWait(ctx context.Context, try bool, o outgoing) error {
	st, err := r.t.put(o)
	if err != nil || st == done {
		return err
	}
	for attempt := 0; ; attempt++ {
		switch {
		case st == closed:
			return ErrClosed
		case try:
			return ErrFull
		}
		r.stats.retry()
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return fmt.Errorf("mpichan: put: %w", err)
		}
		if st, err = r.t.put(o); err != nil || st == done {
			return err
		}
	}
}

// waitTake follows a try of a take that found no message (st: empty or
// noneLeft) and runs attempt, the next try, until it takes something: ok
// with kept nil; or until a message a stopped loop left on this rank
// turns up instead: ok with kept that message. ok is false, with no error,
// when none is left. In a range loop (inLoop) a context that ended while
// the take waited is reported even if none is left by then. (The first
// try is the caller's, so that a take that finds a message costs no more
// than that try.)
func (r *ring) waitTake(ctx context.Context, try, inLoop bool, st status, attempt func() (status, error)) (kept []byte, ok bool, err error) {
	for n := 0; ; n++ {
		if n > 0 {
			if st, err = attempt(); err != nil {
				return nil, false, err
			}
			if st == done {
				return nil, true, nil
			}
		}
		if msg, ok := r.held.pop(); ok { // a loop on this rank stopped meanwhile
			return msg, true, nil
		}
		if inLoop && ctx.Err() != nil {
			return nil, false, fmt.Errorf("mpichan: take: %w", ctx.Err())
		}
		if st == noneLeft {
			return nil, false, nil
		}
		if try {
			return nil, false, ErrEmpty
		}
		r.stats.retry()
		if err := r.backoff.Wait(ctx, n); err != nil {
			return nil, false, fmt.Errorf("mpichan: take: %w", err)
		}
	}
}

// over reports whether takes are over for a channel of capacity frames in
// state s: every claimed message taken (on a Tasks channel, every claimed
// task done), or the channel closed with all its frames free. Taken and
// done are read before claims, so a concurrent claim can only make the
// answer "not yet".
func (s State) over(capacity int64, tasks bool) bool {
	count := s.Taken
	if tasks {
		count = s.Done
	}
	return (s.Claiming && count >= s.Claimed) || (s.Closed && s.Free == int(capacity))
}

// waitNote adds to err, when it is a take's context error, that no Claim
// or Close has ever been made on any of the channels rs: the usual reason
// why a take waits until its context ends.
func waitNote(err error, rs ...*ring) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	for _, r := range rs {
		if st, serr := r.readState(); serr != nil || st.Claiming || st.Closed {
			return err
		}
	}
	if len(rs) > 1 {
		return fmt.Errorf("%w (no Claim or Close has been made on any of these channels, so takes wait for more messages)", err)
	}
	return fmt.Errorf("%w (no Claim or Close has been made on this channel, so takes wait for more messages)", err)
}
