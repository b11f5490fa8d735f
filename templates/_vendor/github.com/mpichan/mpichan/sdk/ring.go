package mpichan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/mpichan/mpichan/sdk/internal/rma"
	mpi "github.com/sbromberger/gompi"
)

// ring is the untyped channel: the algorithm over MPI atomics (the steps
// themselves are C, in internal/rma; docs/DESIGN.md has the whole story).
//
// A producer (1) reserves k frames from the free-frame semaphore wFree, so a
// put on a full channel can give up without a trace, (2) takes k consecutive
// frame tickets with one fetch-and-add on wTail, (3) waits until those slots
// are released (only a taker already reading them can hold them), (4) puts
// the frames, and (5) raises the slot states to "published" and adds one
// credit to wAvail. A taker (1) takes a
// credit from wAvail, (2) takes frame tickets from wHead one at a time
// until one holds a first frame (later frames of a message are skipped: the
// taker of the first frame reads them), (3) reads the frames, and (4)
// raises the states to "free for the next lap" and returns the frames to
// wFree. States only grow (MPI_MAX), so no update can undo a newer one.
// Nothing takes an exclusive lock; everything is fetch-and-op, accumulate,
// put and get in one shared lock_all epoch.
type ring struct {
	comm      *rma.Comm
	win       *rma.Win
	host      int
	cap       int64
	lay       layout
	backoff   Backoff
	codecName string
	steps     *rma.Ring // nil on a rank that reaches the channel through the relay
	prog      *progress
	node      *rma.Comm    // this rank's node, when the channel is relayed
	relay     *relayClient // set on ranks off the host's node of a relayed channel
	server    *relayServer // set on the host of a relayed channel

	mu      sync.RWMutex // held for reading by operations, for writing by Free
	freed   bool
	freeing func() (bool, error) // the barrier of a Free that gave up, if any

	stats [8]atomic.Int64

	prefetch int          // Options.Prefetch
	held     held         // messages loops took but did not deliver
	slab     slab         // memory for the first frames of messages taken
	recycled recycler     // large buffers given back by Recycle
	nextHead atomic.Int64 // one past the last ticket this rank took
	guessing atomic.Bool  // whether to read nextHead's state with the ticket
}

const (
	sPuts = iota
	sTakes
	sBytesPut
	sBytesTaken
	sExtraFramesPut // frames beyond the first: counted only for longer messages
	sExtraFramesTaken
	sRetries
	sRequests
)

// init creates the channel's communicator and window, collectively. If any
// step fails, what the steps before it made is released again.
func (r *ring) init(comm *mpi.Communicator, o Options, codec string) (err error) {
	if !rma.Initialized() || rma.Finalized() {
		return ErrNotInitialized
	}
	var undo []func() error
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	c, err := rma.Dup(comm)
	if err != nil {
		return err
	}
	undo = append(undo, c.Free)
	if err := agree(c, o, codec); err != nil {
		return err
	}
	r.comm, r.host, r.cap, r.lay, r.backoff, r.codecName = c, o.Host, int64(o.Capacity), newLayout(o.FrameSize), o.Backoff, codec
	// Across nodes the channel lives on the host's node only: ranks there
	// reach it through a window over their node, the others through the
	// host's relay server (relay*.go). With RemoteRMA, or on one node, the
	// window spans the whole communicator.
	node, oneNode, hostLocal, err := c.Node(r.host)
	if err != nil {
		return err
	}
	relayed := !oneNode && !o.RemoteRMA
	if !relayed {
		node.Free()
	} else {
		undo = append(undo, node.Free)
		r.node = node
	}
	wc, target, winOneNode := c, r.host, oneNode // the window's communicator and the host's rank there
	if relayed {
		wc, target, winOneNode = node, hostLocal, true
	}
	shared, werr := false, error(nil)
	r.prefetch = cmp.Or(o.Prefetch, DefaultPrefetch)
	if relayed && hostLocal < 0 {
		r.relay = newRelayClient(c, r.host, r.backoff, &r.stats[sRequests])
		r.prefetch = cmp.Or(o.Prefetch, DefaultRelayPrefetch)
	} else {
		shared, werr = r.initWindow(wc, target, winOneNode, o, &undo)
	}
	// No rank may touch the host's memory before it is initialised; and a
	// window that failed on the host's node fails the channel everywhere.
	failed := int64(0)
	if werr != nil {
		failed = 1
	}
	if _, hi, err := c.AllreduceMinMax([]int64{failed}); err != nil {
		return errors.Join(werr, err)
	} else if werr != nil {
		return werr
	} else if hi[0] != 0 {
		return fmt.Errorf("mpichan: MPI_Win_allocate failed on the channel's host node (see the error there): %s", allocateHint(true))
	}
	if !shared && r.win != nil && serialRMA(winOneNode) {
		rma.Serialize(true)
	}
	// On shared memory no MPI call reaches the window: nothing to progress.
	// A relay server makes the calls that progress a window over the node.
	progressed := c.Rank() == r.host && !o.NoProgress && !shared && needsProgress(winOneNode)
	if relayed && c.Rank() == r.host {
		var poke func() error
		if progressed {
			poke = func() error { return r.win.Poke(target) }
		}
		r.server = startRelayServer(r, c, poke)
		onFinalize(r.server, func() { r.server.Stop() }) // Finalize stops it if Free does not (finalize.go)
	} else if progressed {
		r.prog = startProgress(func() error { return r.win.Poke(r.host) }, r.activity, r.backoff)
		onFinalize(r.prog, r.prog.Stop)
	}
	onFinalize(r, r.finalize)
	return nil
}

// initWindow allocates the channel's window over wc, whose rank target is
// the host, on shared memory where every rank of wc shares a node (unless
// NoShared, or the library cannot), and opens its epoch. It reports
// whether the window is reached with CPU atomics.
func (r *ring) initWindow(wc *rma.Comm, target int, oneNode bool, o Options, undo *[]func() error) (shared bool, err error) {
	size := 0
	if wc.Rank() == target {
		size = rma.ChannelBytes(o.Capacity, r.lay.slotSize)
	}
	shared = oneNode && !o.NoShared
	if shared {
		// A library whose one-sided components cannot make a shared
		// window (Open MPI told to avoid osc sm) gets the MPI path.
		if r.win, err = rma.AllocateShared(wc, size, target); err != nil {
			shared = false
		}
	}
	if !shared {
		r.win, err = rma.Allocate(wc, size)
	}
	if err != nil {
		return false, fmt.Errorf("%w: %s", err, allocateHint(oneNode))
	}
	*undo = append(*undo, r.win.Free)
	if size > 0 {
		r.win.InitChannel(o.Capacity)
	}
	if r.steps, err = rma.NewRing(r.win, target, r.cap, r.lay.slotSize); err != nil {
		return false, err
	}
	*undo = append(*undo, func() error { r.steps.Close(); return nil })
	if err := r.win.LockAll(); err != nil {
		return false, err
	}
	*undo = append(*undo, r.win.UnlockAll)
	return shared, nil
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

// activity changes whenever a producer or taker has touched the host.
// (Only the host's progress poller calls it, which has a window.)
func (r *ring) activity() int64 { return r.win.Activity() }

// enter guards an operation against a concurrent Free.
func (r *ring) enter() error {
	r.mu.RLock()
	if r.freed {
		r.mu.RUnlock()
		return ErrFreed
	}
	return nil
}

func (r *ring) leave() { r.mu.RUnlock() }

// put sends the message in b[frameHeader:]; b's first frameHeader bytes are
// room for a frame header.
func (r *ring) put(ctx context.Context, b []byte, try bool) error {
	msg := b[frameHeader:]
	k := r.lay.frames(len(msg))
	if int64(k) > r.cap {
		return fmt.Errorf("%w: %d bytes need %d frames of %d bytes, the channel holds %d",
			ErrTooLarge, len(msg), k, r.lay.frameSize, r.cap)
	}
	if r.relay != nil { // the relay sends the message, not its frames
		return r.putFrames(ctx, b, msg, k, len(msg), try)
	}
	var buf []byte
	if k == 1 && len(b) < alignFrom {
		buf = b // one frame: header and data as they are
		r.lay.header(buf, len(msg), 1)
	} else {
		buf = alignedBuffer(k * r.lay.slotSize)
		r.lay.encode(buf, msg)
	}
	return r.putFrames(ctx, buf, nil, k, len(msg), try)
}

// putFrames sends the k frames in buf, which hold n bytes of message; or,
// with data, the one frame whose header is buf and whose payload is data.
func (r *ring) putFrames(ctx context.Context, buf, data []byte, k, n int, try bool) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	var err error
	if r.relay != nil {
		if data == nil {
			data = buf[frameHeader : frameHeader+n] // buf is one frame
		}
		err = r.relayPut(ctx, [][]byte{data}, try)
	} else {
		err = r.reserveAndWrite(ctx, try,
			func() (int, int64, int64, error) { return r.steps.Put(k, buf, data) },
			func(ticket int64) (int, error) { return r.steps.Write(ticket, k, buf, data) })
	}
	if err != nil {
		return err
	}
	r.countPuts(1, n, k-1)
	return nil
}

// countPuts adds msgs messages of n bytes, with extra frames beyond the
// first of each, to this rank's counters.
func (r *ring) countPuts(msgs, n, extra int) {
	r.stats[sPuts].Add(int64(msgs))
	r.stats[sBytesPut].Add(int64(n))
	r.stats[sExtraFramesPut].Add(int64(extra))
}

// countTakes adds msgs to this rank's counters of takes.
func (r *ring) countTakes(msgs ...[]byte) {
	for _, m := range msgs {
		r.stats[sTakes].Add(1)
		r.stats[sBytesTaken].Add(int64(len(m)))
		if k := r.lay.frames(len(m)); k > 1 {
			r.stats[sExtraFramesTaken].Add(int64(k - 1))
		}
	}
}

// reserveAndWrite runs a put step (put: reserve, take tickets, write) until
// it finds room, then its write step until the held tickets' slots were
// free and the frames are published. Until the reservation succeeds the
// put can give up without a trace; after it, it must finish (only takers
// already reading the previous occupants of its slots can hold it up).
// The caller guards it (enter), except the relay server, which must serve
// while its own rank waits in Free.
func (r *ring) reserveAndWrite(ctx context.Context, try bool, put func() (int, int64, int64, error), write func(int64) (int, error)) error {
	for attempt := 0; ; attempt++ {
		code, old, ticket, err := put()
		if err != nil {
			return err
		}
		if code != rma.No {
			for attempt := 0; code == rma.Wait; attempt++ {
				r.backoff.settle(attempt)
				if code, err = write(ticket); err != nil {
					return err
				}
			}
			return nil
		}
		if rma.Closed(old) {
			return ErrClosed
		}
		if try {
			return ErrFull
		}
		r.stats[sRetries].Add(1)
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return fmt.Errorf("mpichan: put: %w", err)
		}
	}
}

func (r *ring) take(ctx context.Context, try bool) ([]byte, bool, error) {
	msg, _, ok, err := r.takeOne(ctx, try, false)
	return msg, ok, err
}

// takeOne takes a message. With view, a one-frame message on shared memory
// is not copied: msg is its payload in the host's memory, and held is its
// ticket, which the caller must release (release) once done with msg; held
// is -1 for a message that was copied as usual.
//
// A view keeps the channel entered (enter) until its release, so that Free
// waits for it: the view is the host's memory, which Free releases.
func (r *ring) takeOne(ctx context.Context, try, view bool) (msg []byte, held int64, ok bool, err error) {
	if err := r.enter(); err != nil {
		return nil, -1, false, err
	}
	held = -1
	defer func() {
		if held >= 0 && err != nil { // a corrupt frame: give its slot back
			err = errors.Join(err, r.steps.Release(held))
			held = -1
		}
		if held < 0 {
			r.leave()
		}
	}()
	if msg, ok := r.held.pop(); ok {
		return msg, -1, true, nil
	}
	if r.relay != nil {
		msgs, _, err := r.relayTake(ctx, 1, try)
		if err != nil || len(msgs) == 0 {
			return nil, -1, false, err
		}
		return msgs[0], -1, true, nil
	}
	// Take a credit (a published message is there for us) and a ticket,
	// then read. After the credit the take must finish.
	// On shared memory a view reads nothing into first.
	view = view && r.steps.Shared()
	var first []byte
	if !view {
		if first = r.recycled.get(); first == nil {
			first = r.slab.get(r.lay.slotSize)
		}
	}
	var code, k int
	var ticket int64
	var slot []byte
	for attempt := 0; ; attempt++ {
		// Guess the ticket (one past the last this rank took) while
		// guesses keep coming true: then the ticket and its state cost
		// one flush, not two.
		next, guess := r.nextHead.Load(), int64(-1)
		if r.guessing.Load() {
			guess = next
		}
		if code, ticket, k, slot, err = r.steps.Take(first, view, guess); err != nil {
			return nil, -1, false, err
		}
		if code != rma.No {
			if hit := ticket == next; hit != r.guessing.Load() {
				r.guessing.Store(hit)
			}
			r.nextHead.Store(ticket + 1)
			break
		}
		if msg, ok := r.held.pop(); ok { // a loop on this rank stopped meanwhile
			return msg, -1, true, nil
		}
		done, err := r.noneLeft()
		if done { // the last messages may be held here by a loop that just stopped
			if msg, ok := r.held.pop(); ok {
				return msg, -1, true, nil
			}
		}
		if err != nil || done {
			return nil, -1, false, err
		}
		if try {
			return nil, -1, false, ErrEmpty
		}
		r.stats[sRetries].Add(1)
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return nil, -1, false, fmt.Errorf("mpichan: take: %w", err)
		}
	}
	for attempt := 0; code == rma.Wait; attempt++ {
		r.backoff.settle(attempt) // its producer is publishing it
		if code, ticket, k, slot, err = r.steps.Read(ticket, first, view); err != nil {
			return nil, -1, false, err
		}
	}
	if slot != nil { // a view: the slot is ours until release (or Finish)
		first = slot
		if code == rma.OK {
			held = ticket
		}
	}
	if _, err := r.lay.count(first); err != nil || int64(k) > r.cap {
		return nil, held, false, fmt.Errorf("%w: frame count %d (capacity %d): %v", errFrame, k, r.cap, err)
	}
	buf := first
	if code == rma.More {
		buf = alignedBuffer(k * r.lay.slotSize)
		copy(buf, first)
		if err := r.steps.Finish(ticket, k, buf[r.lay.slotSize:]); err != nil {
			return nil, -1, false, err
		}
	}
	if msg, err = r.lay.decode(buf, k == 1); err != nil {
		return nil, held, false, err
	}
	if k == 1 && held < 0 {
		r.recycled.lend(buf, msg)
	}
	r.countTakes(msg)
	return msg, held, true, nil
}

// release gives back the slot of a message that takeOne handed out as a
// view (held >= 0); it does nothing for a copied message (held < 0).
func (r *ring) release(held int64) error {
	if held < 0 {
		return nil
	}
	defer r.leave() // entered by takeOne
	return r.steps.Release(held)
}

// noneLeft reports whether takes are over: every claimed message taken, or
// the channel closed with all its frames free. Taken is read before claims,
// so a concurrent claim can only make the answer "not yet".
func (r *ring) noneLeft() (bool, error) {
	st, err := r.state()
	if err != nil {
		return false, err
	}
	return (st.Claiming && st.Taken >= st.Claimed) || (st.Closed && st.Free == int(r.cap)), nil
}

func (r *ring) state() (State, error) {
	if r.relay != nil {
		return r.relay.state()
	}
	st, err := r.steps.State()
	return State{Len: int(st.Len), Free: int(st.Free), Claimed: st.Claimed, Taken: st.Taken,
		Claiming: st.Claiming, Closed: st.Closed}, err
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

// claim adds n to the claimed count, marking the channel as claiming.
func (r *ring) claim(n int) error {
	if n < 0 || int64(n) > rma.MaxClaim {
		return fmt.Errorf("%w: claim of %d messages", ErrInvalid, n)
	}
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if r.relay != nil {
		return r.relay.control(opClaim, int64(n))
	}
	return r.steps.Claim(int64(n))
}

// close marks the channel closed, once.
func (r *ring) close() error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if r.relay != nil {
		return r.relay.control(opClose, 0)
	}
	return r.steps.CloseChannel()
}

// readState is state, guarded against a concurrent free.
func (r *ring) readState() (State, error) {
	if err := r.enter(); err != nil {
		return State{}, err
	}
	defer r.leave()
	return r.state()
}

// counters returns this rank's counters (no MPI call).
func (r *ring) counters() Stats {
	g := func(i int) int64 { return r.stats[i].Load() }
	return Stats{Puts: g(sPuts), Takes: g(sTakes), BytesPut: g(sBytesPut), BytesTaken: g(sBytesTaken),
		FramesPut: g(sPuts) + g(sExtraFramesPut), FramesTaken: g(sTakes) + g(sExtraFramesTaken), Retries: g(sRetries),
		Polls: r.prog.Polls() + r.server.Polls(), Requests: g(sRequests)}
}

// free releases the window, the epoch and the communicator (collective).
// It first waits, until ctx ends, for this rank's own operations to finish
// and for every rank to call it. If ctx ends first, the channel stays
// unusable (ErrFreed) and unreleased, and a later free waits again.
func (r *ring) free(ctx context.Context) error {
	for attempt := 0; !r.mu.TryLock(); attempt++ {
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return fmt.Errorf("mpichan: Free: this rank's own operations on the channel have not finished: %w", err)
		}
	}
	defer r.mu.Unlock()
	if r.freed && r.freeing == nil {
		return ErrFreed
	}
	r.freed = true
	var err error
	if r.freeing == nil {
		if r.freeing, err = r.comm.Barrier(); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		done, err := r.freeing()
		if err != nil {
			return err
		}
		if done {
			break
		}
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return fmt.Errorf("mpichan: Free: not every rank of the channel's communicator called Free: %w", err)
		}
	}
	r.freeing = nil
	forget(r)
	if r.prog != nil {
		stopNow(r.prog)
	}
	var errs []error
	if r.server != nil { // every rank is done: no request is on its way
		forget(r.server)
		errs = append(errs, r.server.Stop())
	}
	if r.steps != nil {
		r.steps.Close()
		errs = append(errs, r.win.UnlockAll(), r.win.Free())
	}
	if r.node != nil {
		errs = append(errs, r.node.Free())
	}
	return errors.Join(append(errs, r.comm.Free())...)
}
