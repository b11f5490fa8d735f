package mpichan

import (
	"context"
	"time"
)

// Backoff says how a waiting operation (a put on a full channel, a take on
// an empty one) paces its retries: first a few yields of the core to other
// processes, then sleeps that double from Min up to Max. Waiting never
// spins hot, so ranks that share a core do not starve each other.
//
// Sleeps shorter than shortSleep are naps of the thread (nanosleep); longer
// ones are Go timers, which let the rank's other goroutines run. Neither
// the yields nor the naps call runtime.Gosched: a program's main goroutine
// is locked to its thread (MPI's), and Gosched there hands the thread's P
// to another thread and back, two futex round trips per retry. Yielding
// with Gosched and sleeping on timers only, a take on one node under MPICH
// moved 92-124k messages of 8 KiB a second where this moves 134-177k
// (Open MPI: 143-211k against 179-262k; side by side, CHANGELOG.md).
type Backoff struct {
	Yields int           // retries that only yield before the first sleep
	Min    time.Duration // first sleep
	Max    time.Duration // longest sleep
}

// DefaultBackoff is used when Options.Backoff is the zero value.
var DefaultBackoff = Backoff{Yields: 16, Min: 2 * time.Microsecond, Max: time.Millisecond}

func (b Backoff) orDefault() Backoff {
	if b == (Backoff{}) {
		return DefaultBackoff
	}
	if b.Min <= 0 {
		b.Min = time.Microsecond
	}
	if b.Max < b.Min {
		b.Max = b.Min
	}
	return b
}

// Delay is how long retry number attempt (from 0) waits; 0 means yield.
func (b Backoff) Delay(attempt int) time.Duration {
	if attempt < b.Yields {
		return 0
	}
	d := b.Min
	for i := b.Yields; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// shortSleep bounds the sleeps that are naps of the thread (see Backoff):
// the Go runtime's timers wake a goroutine up to a millisecond late when
// the process is otherwise idle, and a nap holds its P for at most this long.
const shortSleep = 200 * time.Microsecond

// Wait pauses before retry number attempt, or returns ctx's error early.
func (b Backoff) Wait(ctx context.Context, attempt int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := b.Delay(attempt)
	if d == 0 {
		osYield()
		return nil
	}
	if d < shortSleep {
		nap(d) // ctx is seen at the next attempt, at most shortSleep later
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// settleYields is how many times settle gives the core away before it
// starts to sleep.
const settleYields = 200

// settle pauses before retry number attempt of a wait that another rank
// ends within moments (a producer finishing the message before ours): it
// yields the core to other processes, which is what an oversubscribed
// node needs, and only falls back to sleeping (Wait) after settleYields
// yields, since a sleep lasts at least the kernel's timer slack (50µs).
func (b Backoff) settle(attempt int) {
	if attempt < settleYields {
		osYield()
		return
	}
	b.Wait(context.Background(), attempt-settleYields)
}
