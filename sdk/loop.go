package mpichan

import (
	"context"
	"sync"
)

// takeLoop is one range over All: it takes messages from the host in
// batches (Options.Prefetch) and hands them out one by one.
type takeLoop struct {
	r      *ring
	ctx    context.Context
	queue  [][]byte // taken, not yet handed out
	want   int      // the next batch's size
	flight inFlight // the transport's requests in flight for this loop
}

func (r *ring) loop(ctx context.Context) *takeLoop {
	return &takeLoop{r: r, ctx: ctx, want: 1}
}

// next returns the next message, or ok == false when none is left.
func (l *takeLoop) next() ([]byte, bool, error) {
	if len(l.queue) == 0 {
		if l.r.prefetch <= 1 {
			return l.r.take(l.ctx, false)
		}
		if err := l.r.takeBatch(l.ctx, l); err != nil || len(l.queue) == 0 {
			return nil, false, err
		}
	}
	msg := l.queue[0]
	l.queue[0] = nil
	l.queue = l.queue[1:]
	return msg, true, nil
}

// stop hands the messages the loop took but did not deliver, and those
// its requests in flight bring, to the ring, whose next take on this rank
// returns them.
func (l *takeLoop) stop() {
	l.r.held.push(l.queue)
	l.queue = nil
	msgs := l.r.t.settle(&l.flight)
	l.r.stats.takes(l.r.lay, msgs...)
	l.r.held.push(msgs)
}

// held is a rank's queue of messages that loops took from the host but
// did not deliver; takes on this rank return them before they take from
// the host, and before they conclude that none is left.
type held struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (h *held) push(msgs [][]byte) {
	if len(msgs) == 0 {
		return
	}
	h.mu.Lock()
	h.msgs = append(h.msgs, msgs...)
	h.mu.Unlock()
}

func (h *held) pop() ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.msgs) == 0 {
		return nil, false
	}
	m := h.msgs[0]
	h.msgs[0] = nil
	h.msgs = h.msgs[1:]
	return m, true
}

// batchBytes bounds the frames one batch reads: large messages come one
// at a time.
const batchBytes = 64 << 10

// takeBatch takes up to l.want messages in one batch (the first held
// messages, if any) into l.queue; it leaves the queue empty when none is
// left. The next batch's size is half the messages that were waiting,
// between 1 and the prefetch limit: a loop never takes more than half of
// what it saw, so a scarce message goes to one taker at a time.
func (r *ring) takeBatch(ctx context.Context, l *takeLoop) error {
	if err := r.guard.enter(); err != nil {
		return err
	}
	defer r.guard.leave()
	for len(l.queue) < l.want {
		m, ok := r.held.pop()
		if !ok {
			break
		}
		l.queue = append(l.queue, m)
	}
	if len(l.queue) > 0 {
		return nil
	}
	want := min(l.want, max(1, batchBytes/r.lay.slotSize))
	var msgs [][]byte
	var avail int64
	attempt := func() (st status, err error) {
		msgs, avail, st, err = r.t.take(want, &l.flight)
		return st, err
	}
	st, err := attempt()
	kept, ok := []byte(nil), err == nil && st == done
	if err == nil && st != done {
		kept, ok, err = r.waitTake(ctx, false, true, st, attempt)
	}
	l.queue = append(l.queue, msgs...) // with an error, what the batch got before it
	r.stats.takes(r.lay, msgs...)
	switch {
	case err != nil || !ok:
		return err
	case kept != nil:
		l.queue = append(l.queue, kept)
	default:
		l.want = min(r.prefetch, max(1, int(avail/2)))
	}
	return nil
}
