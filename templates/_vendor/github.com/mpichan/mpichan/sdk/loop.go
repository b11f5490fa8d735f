package mpichan

import (
	"context"
	"fmt"
	"sync"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// takeLoop is one range over All: it takes messages from the host in
// batches (Options.Prefetch) and hands them out one by one.
type takeLoop struct {
	r       *ring
	ctx     context.Context
	queue   [][]byte // taken, not yet handed out
	want    int      // the next batch's size
	pending []int    // a relay client's takes in flight, oldest first: their answers' tags
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

// stop hands the messages the loop took but did not deliver to the ring,
// whose next take on this rank returns them.
func (l *takeLoop) stop() {
	l.r.held.push(l.queue)
	l.queue = nil
	l.settle()
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
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
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
	if r.relay != nil {
		return r.relayBatch(ctx, l, want)
	}
	if want > 1 && r.steps.Shared() && r.recycled.spares() > 0 {
		// A message given back waits: read the next into it. On shared
		// memory a batch saves no round trip, and the recycled memory is
		// still in the cache, where a fresh batch buffer is not.
		want = 1
	}
	for attempt := 0; ; attempt++ {
		msgs, avail, ok, err := r.grab(want, nil)
		l.queue = append(l.queue, msgs...)
		r.countTakes(msgs...)
		if err != nil {
			return err
		}
		if ok {
			l.want = min(r.prefetch, max(1, int(avail/2)))
			return nil
		}
		if msg, ok := r.held.pop(); ok { // a loop on this rank stopped meanwhile
			l.queue = append(l.queue, msg)
			return nil
		}
		if err := ctx.Err(); err != nil { // ended while waiting: say so, even if none is left now
			return fmt.Errorf("mpichan: take: %w", err)
		}
		done, err := r.noneLeft()
		if done { // the last messages may be held here by a loop that just stopped
			if msg, ok := r.held.pop(); ok {
				l.queue = append(l.queue, msg)
				return nil
			}
		}
		if err != nil || done {
			return err
		}
		r.stats[sRetries].Add(1)
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return fmt.Errorf("mpichan: take: %w", err)
		}
	}
}

// grab takes up to want messages from the host's window as one batch,
// without waiting for an empty channel: ok is false, with nothing changed,
// when no message was there. avail is the messages that were waiting. It
// is unguarded (the relay server calls it while its rank waits in Free;
// every other caller has entered).
//
// With scratch (the relay server's, which copies the messages into its
// answer before it grabs again) the batch is read into scratch when it
// fits, and the messages share its memory; without, into memory of their
// own, recycled or fresh.
func (r *ring) grab(want int, scratch []byte) (msgs [][]byte, avail int64, ok bool, err error) {
	var b rma.Batch
	slot := r.lay.slotSize
	var buf []byte
	switch {
	case scratch != nil && len(scratch) >= want*slot:
		buf = scratch[:want*slot]
	case scratch == nil && want == 1:
		buf = r.recycled.get() // one slot long, or nil
	}
	if buf == nil {
		buf = alignedBuffer(want * slot)
	}
	next, guess := r.nextHead.Load(), int64(-1)
	if r.guessing.Load() {
		guess = next
	}
	code, err := r.steps.TakeMany(want, guess, buf, &b)
	if err != nil || code == rma.No {
		if want == 1 && scratch == nil {
			r.recycled.keep(buf) // one slot, unused: for the next try
		}
		return nil, 0, false, err
	}
	if hit := b.Hit(); hit != r.guessing.Load() {
		r.guessing.Store(hit)
	}
	// The batch holds credits now: it must finish.
	for attempt := 0; ; {
		switch code {
		case rma.Bad:
			return msgs, b.Avail(), true, fmt.Errorf("%w: frame count out of range (capacity %d)", errFrame, r.cap)
		case rma.Wait:
			r.backoff.settle(attempt) // its producer is publishing it
			attempt++
		default:
			if msgs, err = r.collect(msgs, &b, buf, scratch == nil); err != nil {
				return msgs, b.Avail(), true, err
			}
			r.nextHead.Store(b.End())
			if b.Credits() == 0 {
				return msgs, b.Avail(), true, nil
			}
			buf, attempt = alignedBuffer(b.Credits()*slot), 0
		}
		if code, err = r.steps.TakeMany(want, -1, buf, &b); err != nil {
			return msgs, b.Avail(), true, err
		}
	}
}

// collect appends the messages of the batch's last call (in buf) to msgs,
// finishing a partial last one; lend says whether a caller gets their
// memory (and may Recycle it).
func (r *ring) collect(msgs [][]byte, b *rma.Batch, buf []byte, lend bool) ([][]byte, error) {
	slot := r.lay.slotSize
	for i := range b.Len() {
		ticket, k, off := b.Msg(i)
		frames := buf[off:min(len(buf), off+k*slot)]
		if i == b.Len()-1 && b.Partial() {
			frames = alignedBuffer(k * slot)
			copy(frames, buf[off:off+slot])
			if err := r.steps.Finish(ticket, k, frames[slot:]); err != nil {
				return msgs, err
			}
		}
		msg, err := r.lay.decode(frames, k == 1)
		if err != nil {
			return msgs, err
		}
		if lend && k == 1 && len(frames) == len(buf) {
			r.recycled.lend(buf, msg)
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}
