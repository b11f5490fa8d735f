package mpichan

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// window is the transport of a rank that reaches the host's window
// directly: the algorithm over atomics, whose steps are C (internal/rma;
// sdk/model/channel.pml models them, docs/DESIGN.md tells the story). The
// steps use CPU atomics on a shared-memory window and MPI atomics on any
// other, so one window serves both.
//
// A producer (1) reserves k frames from the free-frame semaphore wFree, so a
// put on a full channel can give up without a trace, (2) takes k consecutive
// frame tickets with one fetch-and-add on wTail, (3) waits until those slots
// are released (only a taker already reading them can hold them), (4) puts
// the frames, and (5) raises the slot states to "published" and adds one
// credit to wAvail. A taker (1) takes a credit from wAvail, (2) takes frame
// tickets from wHead one at a time until one holds a first frame (later
// frames of a message are skipped: the taker of the first frame reads
// them), (3) reads the frames, and (4) raises the states to "free for the
// next lap" and returns the frames to wFree. States only grow (MPI_MAX), so
// no update can undo a newer one. Nothing takes an exclusive lock;
// everything is fetch-and-op, accumulate, put and get in one shared
// lock_all epoch.
//
// Its methods are unguarded (transport): the relay server on the host
// (relay_server.go) calls prepareBatch, put, takeInto, claim, close and
// state while its own rank may wait in Free.
type window struct {
	win      *rma.Win
	steps    *rma.Ring
	lay      layout
	cap      int64
	tasks    bool      // Options.Tasks: puts claim their messages (tasks.pml)
	backoff  Backoff   // paces the settling of a put or take that holds tickets
	recycled *recycler // the channel's buffers given back by Recycle
	slab     slab      // memory for the first frames of messages taken

	nextHead atomic.Int64 // one past the last ticket this rank took
	guessing atomic.Bool  // whether to read nextHead's state with the ticket
}

// newWindow allocates the channel's window over wc, whose rank target is
// the host, on shared memory where every rank of wc shares a node (unless
// NoShared, or the library cannot), and opens its epoch. What it made is
// added to undo. shared says whether the window is reached with CPU atomics.
func newWindow(wc *rma.Comm, target int, oneNode bool, o Options, lay layout, recycled *recycler, undo *[]func() error) (w *window, shared bool, err error) {
	w = &window{lay: lay, cap: int64(o.Capacity), tasks: o.Tasks, backoff: o.Backoff, recycled: recycled}
	size := 0
	if wc.Rank() == target {
		size = rma.ChannelBytes(o.Capacity, lay.slotSize)
	}
	shared = oneNode && !o.NoShared
	if shared {
		// A node where no shared memory can be mapped (allocateShared,
		// osc.go) gets the MPI path.
		if w.win, err = allocateShared(wc, size, target); err != nil {
			shared = false
		}
	}
	if !shared {
		w.win, err = rma.Allocate(wc, size)
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s", err, allocateHint(oneNode))
	}
	*undo = append(*undo, w.win.Free)
	if size > 0 {
		w.win.InitChannel(o.Capacity)
	}
	if w.steps, err = rma.NewRing(w.win, target, w.cap, lay.slotSize); err != nil {
		return nil, false, err
	}
	*undo = append(*undo, func() error { w.steps.Close(); return nil })
	if err := w.win.LockAll(); err != nil {
		return nil, false, err
	}
	*undo = append(*undo, w.win.UnlockAll)
	return w, shared, nil
}

// alignedBuffer returns n bytes for an origin buffer. Open MPI's osc rdma
// puts an 8 KiB block 20-35x slower from a page-aligned buffer than from an
// unaligned one, and Go hands out large blocks page-aligned, so blocks of a
// page or more start 64 bytes past a page boundary.
const alignFrom = 4096

func alignedBuffer(n int) []byte {
	const page = 4096
	if n < alignFrom {
		return make([]byte, n)
	}
	b := make([]byte, n+page+64)
	off := (64 - int(uintptr(unsafe.Pointer(&b[0]))%page) + page) % page
	return b[off : off+n : off+n]
}

// activity changes whenever a producer or taker has touched the host
// (read on the host, by its progress poller).
func (w *window) activity() int64 { return w.win.Activity() }

// poke makes one one-sided call on the window at target, which serves
// pending operations when target is this rank.
func (w *window) poke(target int) error { return w.win.Poke(target) }

func (w *window) prepare(b []byte, k int) outgoing {
	msg := b[frameHeader:]
	if k == 1 && len(b) < alignFrom { // one frame: header and data as they are
		w.lay.header(b, len(msg), 1)
		return outgoing{buf: b, k: 1}
	}
	buf := alignedBuffer(k * w.lay.slotSize)
	w.lay.encode(buf, msg)
	return outgoing{buf: buf, k: k}
}

func (w *window) prepareBatch(msgs [][]byte, frames int) outgoing {
	buf := alignedBuffer(frames * w.lay.slotSize)
	counts := make([]int64, len(msgs))
	at := 0
	for i, m := range msgs {
		counts[i] = int64(w.lay.encode(buf[at*w.lay.slotSize:], m))
		at += int(counts[i])
	}
	return outgoing{buf: buf, counts: counts}
}

// smallSlot bounds the frames that put builds whole on its stack.
const smallSlot = 320

// put runs the put step (reserve, take tickets, write); once the
// reservation succeeded it runs the write step until the held tickets'
// slots were free and the frames are published. On a Tasks channel it
// claims the messages first and takes the claim back if the try failed,
// so that a task is counted before any taker can see it (tasks.pml).
func (w *window) put(o outgoing) (status, error) {
	if !w.tasks {
		return w.putFrames(o)
	}
	n := int64(1)
	if o.counts != nil {
		n = int64(len(o.counts))
	}
	if err := w.steps.Claim(n); err != nil {
		return full, err
	}
	st, err := w.putFrames(o)
	if st != done {
		err = errors.Join(err, w.steps.Claim(-n)) // model: @claim-back
	}
	return st, err
}

// putFrames is put without the claims of a Tasks channel. A one-frame
// message given as data gets its header on putFrames's stack: a small one
// is copied behind it (one contiguous put), a larger one is put from where
// it is.
func (w *window) putFrames(o outgoing) (status, error) {
	var stack [smallSlot]byte
	if o.data != nil {
		size := len(o.data)
		if frameHeader+size <= smallSlot {
			o.buf = stack[:frameHeader+size]
			copy(o.buf[frameHeader:], o.data)
			o.data = nil
		} else {
			o.buf = stack[:frameHeader]
		}
		w.lay.header(o.buf, size, 1)
	}
	var code int
	var old, ticket int64
	var err error
	if o.counts != nil {
		code, old, ticket, err = w.steps.PutMany(o.counts, o.buf)
	} else {
		code, old, ticket, err = w.steps.Put(o.k, o.buf, o.data)
	}
	switch {
	case err != nil:
		return full, err
	case code == rma.No && rma.Closed(old):
		return w.closedOrFailed()
	case code == rma.No:
		return full, nil
	}
	for attempt := 0; code == rma.Wait; attempt++ {
		w.backoff.settle(attempt) // a taker is still reading the slots' last lap
		if o.counts != nil {
			code, err = w.steps.WriteMany(ticket, o.counts, o.buf)
		} else {
			code, err = w.steps.Write(ticket, o.k, o.buf, o.data)
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func (w *window) take(want int, _ *inFlight) ([][]byte, int64, status, error) {
	if want > 1 && w.steps.Shared() && w.recycled.spares() > 0 {
		// A message given back waits: read the next into it. On shared
		// memory a batch saves no round trip, and the recycled memory is
		// still in the cache, where a fresh batch buffer is not.
		want = 1
	}
	return w.takeInto(want, nil)
}

// takeInto tries once to take up to want messages as one batch (take).
// With scratch (the relay server's, which copies the messages into its
// answer before it takes again) the batch is read into scratch when it
// fits, and the messages share its memory; without, into memory of their
// own, recycled or fresh.
func (w *window) takeInto(want int, scratch []byte) (msgs [][]byte, avail int64, st status, err error) {
	var b rma.Batch
	slot := w.lay.slotSize
	var buf []byte
	switch {
	case scratch != nil && len(scratch) >= want*slot:
		buf = scratch[:want*slot]
	case scratch == nil && want == 1:
		buf = w.recycled.get() // one slot long, or nil
	}
	if buf == nil {
		buf = alignedBuffer(want * slot)
	}
	code, err := w.steps.TakeMany(want, w.guess(), buf, &b)
	if err != nil || code == rma.No {
		if want == 1 && scratch == nil {
			w.recycled.keep(buf) // one slot, unused: for the next try
		}
		if err != nil {
			return nil, 0, empty, err
		}
		st, err := w.emptyOrNoneLeft()
		return nil, 0, st, err
	}
	w.guessed(b.Hit())
	// The batch holds credits now: it must finish.
	for attempt := 0; ; {
		switch code {
		case rma.Bad:
			return msgs, b.Avail(), done, fmt.Errorf("%w: frame count out of range (capacity %d)", errFrame, w.cap)
		case rma.Wait:
			w.backoff.settle(attempt) // its producer is publishing it
			attempt++
		default:
			if msgs, err = w.collect(msgs, &b, buf, scratch == nil); err != nil {
				return msgs, b.Avail(), done, err
			}
			w.nextHead.Store(b.End())
			if b.Credits() == 0 {
				return msgs, b.Avail(), done, nil
			}
			buf, attempt = alignedBuffer(b.Credits()*slot), 0
		}
		if code, err = w.steps.TakeMany(want, -1, buf, &b); err != nil {
			return msgs, b.Avail(), done, err
		}
	}
}

// guess is the ticket this rank expects to take next (one past the last
// it took) while such guesses keep coming true, else -1: a right guess
// saves a flush.
func (w *window) guess() int64 {
	if w.guessing.Load() {
		return w.nextHead.Load()
	}
	return -1
}

// guessed notes whether the ticket taken was the one guessed.
func (w *window) guessed(hit bool) {
	if hit != w.guessing.Load() {
		w.guessing.Store(hit)
	}
}

// emptyOrNoneLeft is the status of a take that found no message, or the
// channel's failure.
func (w *window) emptyOrNoneLeft() (status, error) {
	st, err := w.steps.State()
	if err == nil && st.Failed != 0 {
		err = w.failure(st.Failed)
	}
	if err != nil {
		return empty, err
	}
	if toState(st).over(w.cap, w.tasks) {
		return noneLeft, nil
	}
	return empty, nil
}

// failure is the error of a channel failed by rank failed - 1 (State.Failed).
func (w *window) failure(failed int64) error {
	text, err := w.steps.FailText()
	if err != nil {
		return err
	}
	return &FailedError{Rank: int(failed - 1), Text: text}
}

// closedOrFailed is the outcome of a put that found the channel closed.
func (w *window) closedOrFailed() (status, error) {
	st, err := w.steps.State()
	if err == nil && st.Failed != 0 {
		err = w.failure(st.Failed)
	}
	return closed, err
}

// collect appends the messages of the batch's last call (in buf) to msgs,
// finishing a partial last one; lend says whether a caller gets their
// memory (and may Recycle it).
func (w *window) collect(msgs [][]byte, b *rma.Batch, buf []byte, lend bool) ([][]byte, error) {
	slot := w.lay.slotSize
	for i := range b.Len() {
		ticket, k, off := b.Msg(i)
		frames := buf[off:min(len(buf), off+k*slot)]
		if i == b.Len()-1 && b.Partial() {
			frames = alignedBuffer(k * slot)
			copy(frames, buf[off:off+slot])
			if err := w.steps.Finish(ticket, k, frames[slot:]); err != nil {
				return msgs, err
			}
		}
		msg, err := w.lay.decode(frames, k == 1)
		if err != nil {
			return msgs, err
		}
		if lend && k == 1 && len(frames) == len(buf) {
			w.recycled.lend(buf, msg)
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// takeOne takes a credit (a published message is there for us) and a
// ticket, then reads; after the credit the take must finish. On shared
// memory a view reads nothing: the slot is ours until release.
func (w *window) takeOne(view bool) (msg []byte, held int64, st status, err error) {
	view = view && w.steps.Shared()
	var first []byte
	if !view {
		if first = w.recycled.get(); first == nil {
			first = w.slab.get(w.lay.slotSize)
		}
	}
	next := w.nextHead.Load()
	code, ticket, k, slot, err := w.steps.Take(first, view, w.guess())
	if err != nil {
		return nil, -1, empty, err
	}
	if code == rma.No {
		if !view { // unused: for the next try
			w.recycled.keep(first)
			w.slab.unget(first)
		}
		st, err := w.emptyOrNoneLeft()
		return nil, -1, st, err
	}
	w.guessed(ticket == next)
	w.nextHead.Store(ticket + 1)
	for attempt := 0; code == rma.Wait; attempt++ {
		w.backoff.settle(attempt) // its producer is publishing it
		if code, ticket, k, slot, err = w.steps.Read(ticket, first, view); err != nil {
			return nil, -1, done, err
		}
	}
	held = -1
	if slot != nil { // a view: the slot is ours until release (or Finish)
		first = slot
		if code == rma.OK {
			held = ticket
		}
	}
	msg, err = w.readRest(first, code, ticket, k, held < 0)
	if err != nil {
		if held >= 0 { // a corrupt frame: give its slot back
			err = errors.Join(err, w.steps.Release(held))
		}
		return nil, -1, done, err
	}
	return msg, held, done, nil
}

// readRest decodes the message whose first frame is first, reading frames
// 2..k first (code More); lend says whether the caller gets the memory of a
// one-frame message (and may Recycle it).
func (w *window) readRest(first []byte, code int, ticket int64, k int, lend bool) ([]byte, error) {
	if _, err := w.lay.count(first); err != nil || int64(k) > w.cap {
		return nil, fmt.Errorf("%w: frame count %d (capacity %d): %v", errFrame, k, w.cap, err)
	}
	buf := first
	if code == rma.More {
		buf = alignedBuffer(k * w.lay.slotSize)
		copy(buf, first)
		if err := w.steps.Finish(ticket, k, buf[w.lay.slotSize:]); err != nil {
			return nil, err
		}
	}
	msg, err := w.lay.decode(buf, k == 1)
	if err != nil {
		return nil, err
	}
	if k == 1 && lend {
		w.recycled.lend(buf, msg)
	}
	return msg, nil
}

func (w *window) release(held int64) error { return w.steps.Release(held) }

func (w *window) settle(*inFlight) [][]byte { return nil }

func (w *window) claim(n int64) error { return w.steps.Claim(n) }

func (w *window) close() error { return w.steps.CloseChannel() }

func (w *window) fail(rank int, text string) error { return w.steps.Fail(rank, text) }

func (w *window) done(n int64) error { return w.steps.Done(n) }

func (w *window) state() (State, error) {
	st, err := w.steps.State()
	return toState(st), err
}

// toState is the channel's State from its control words.
func toState(st rma.State) State {
	return State{Len: int(st.Len), Free: int(st.Free), Claimed: st.Claimed, Taken: st.Taken, Done: st.Done,
		Claiming: st.Claiming, Closed: st.Closed}
}

func (w *window) free() error {
	w.steps.Close()
	return errors.Join(w.win.UnlockAll(), w.win.Free())
}
