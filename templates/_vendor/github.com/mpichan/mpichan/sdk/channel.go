package mpichan

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/mpichan/mpichan/sdk/internal/rma"
	mpi "github.com/sbromberger/gompi"
)

// Options configure a channel. Every rank must pass the same values.
type Options struct {
	// Capacity is how many frames the channel holds (default 64). A message
	// may span up to Capacity frames.
	Capacity int
	// FrameSize is the payload bytes of one frame (default 256).
	FrameSize int
	// Host is the rank, in the channel's communicator, whose memory holds
	// the channel (default 0).
	Host int
	// Backoff paces waiting operations (default DefaultBackoff).
	Backoff Backoff
	// NoProgress turns off the host's progress goroutine (see docs/MPI.md).
	// It is off anyway under Open MPI when all ranks share one node, where
	// the origin completes every operation itself (osc sm, osc rdma).
	NoProgress bool
}

func (o Options) withDefaults() Options {
	if o.Capacity == 0 {
		o.Capacity = 64
	}
	if o.FrameSize == 0 {
		o.FrameSize = 256
	}
	o.Backoff = o.Backoff.orDefault()
	return o
}

// Limits on Options, so that every counter and offset fits comfortably.
const (
	MaxCapacity  = 1 << 24
	MaxFrameSize = 1 << 24
	maxWindow    = 1 << 40
)

// Channel is a bounded multi-producer, multi-consumer queue of messages of
// type T held in MPI one-sided windows on its host rank. Any rank of its
// communicator may put and take; all methods are safe for concurrent use by
// many goroutines.
//
// Termination: Claim(n) announces n more messages. A take reports "none
// left" (ok == false) once claims have been made and every claimed message
// has been taken, or once the channel is closed and drained. Before the
// first Claim a take waits, so takers may start before the claiming rank
// has claimed. Claims must cover a batch before its last message can be
// taken: claim the total up front (from any one rank), or keep claiming
// ahead of the messages you put. For streams of unknown length, use Close.
type Channel[T any] struct {
	ring
	codec Codec[T]
	view  func(T) []byte // the codec's view of a message's bytes, if it has one
}

// New creates a channel over comm with the built-in codec for T (see
// CodecFor). It is collective: every rank of comm must call it with the same
// options. Ranks that pass different options all get an error that
// errors.Is(err, ErrMismatch); invalid options give ErrInvalid on every rank.
func New[T any](comm *mpi.Communicator, opt Options) (*Channel[T], error) {
	return NewWithCodec(comm, opt, CodecFor[T]())
}

// NewWithCodec is New with an explicit codec.
func NewWithCodec[T any](comm *mpi.Communicator, opt Options, codec Codec[T]) (*Channel[T], error) {
	ch := &Channel[T]{codec: codec}
	if v, ok := codec.(viewer[T]); ok {
		ch.view = v.view
	}
	if err := ch.ring.init(comm, opt.withDefaults(), codecName(codec)); err != nil {
		return nil, err
	}
	return ch, nil
}

// Put sends v, waiting while the channel is full. It fails with ErrClosed
// after Close, ErrTooLarge when v needs more frames than the channel holds,
// or ctx's error. A failed Put leaves nothing behind in the channel.
func (c *Channel[T]) Put(ctx context.Context, v T) error { return c.send(ctx, v, false) }

// TryPut sends v if there is room now; otherwise it fails with ErrFull.
func (c *Channel[T]) TryPut(v T) error { return c.send(context.Background(), v, true) }

// smallSlot bounds the slots that send frames on its stack.
const smallSlot = 320

// send puts v. When the codec can show v's bytes as they are and they fit
// one small slot, the frame is built on the stack straight from them;
// anything else is encoded into a pooled buffer first.
func (c *Channel[T]) send(ctx context.Context, v T, try bool) error {
	if c.view != nil {
		if data := c.view(v); len(data) <= c.lay.frameSize && frameHeader+len(data) <= smallSlot {
			var stack [smallSlot]byte
			n := copy(stack[frameHeader:], data)
			buf := stack[:frameHeader+n]
			c.lay.header(buf, n, 1)
			return c.putFrames(ctx, buf, 1, n, try)
		}
	}
	msg, err := c.encode(v)
	if err != nil {
		return err
	}
	defer recycle(msg)
	return c.put(ctx, *msg, try)
}

// PutF starts a Put and returns at once. v is encoded (copied) before PutF
// returns, so the caller may reuse v's memory straight away.
func (c *Channel[T]) PutF(ctx context.Context, v T) *Future[struct{}] {
	msg, err := c.encode(v)
	return newFuture(func() (struct{}, bool, error) {
		if err == nil {
			err = c.put(ctx, *msg, false)
			recycle(msg)
		}
		return struct{}{}, err == nil, err
	})
}

// Take receives a message, waiting while the channel is empty and more
// messages are expected. ok is false when none is left (see Channel).
// Small messages that the codec decodes in place ([]byte, numeric slices)
// share 4 KiB blocks of memory: keeping one keeps its block alive.
func (c *Channel[T]) Take(ctx context.Context) (v T, ok bool, err error) {
	return c.decode(c.take(ctx, false))
}

// TryTake receives a message if one is there now. It fails with ErrEmpty
// when the channel is empty but more messages are expected; ok is false
// when none is left.
func (c *Channel[T]) TryTake() (v T, ok bool, err error) {
	return c.decode(c.take(context.Background(), true))
}

// TakeF starts a Take and returns at once.
func (c *Channel[T]) TakeF(ctx context.Context) *Future[T] {
	return newFuture(func() (T, bool, error) { return c.Take(ctx) })
}

// All iterates over messages until none is left, ctx ends or an error
// occurs; Err reports the error that ended the last iteration on this
// goroutine's channel value.
func (c *Channel[T]) All(ctx context.Context) iter.Seq[T] {
	return func(yield func(T) bool) {
		c.iterErr.Store(nil)
		for {
			v, ok, err := c.Take(ctx)
			if err != nil {
				c.iterErr.Store(&err)
				return
			}
			if !ok || !yield(v) {
				return
			}
		}
	}
}

// Err is the error that ended the most recent All iteration, or nil when it
// ended because no message was left (or the loop broke).
func (c *Channel[T]) Err() error {
	if p := c.iterErr.Load(); p != nil {
		return *p
	}
	return nil
}

// encode returns v's bytes behind frameHeader bytes of room, so that a
// one-frame message is sent from this buffer as it is. The buffer comes
// from a pool; recycle returns it once the put is over.
func (c *Channel[T]) encode(v T) (*[]byte, error) {
	bp := encodeBuffers.Get().(*[]byte)
	b, err := c.codec.Append((*bp)[:frameHeader], v)
	if err != nil {
		recycle(bp)
		return nil, fmt.Errorf("mpichan: %s codec: encode: %w", c.codecName, err)
	}
	*bp = b
	return bp, nil
}

// encodeBuffers holds spare encode buffers, so a put allocates nothing.
var encodeBuffers = sync.Pool{New: func() any { b := make([]byte, frameHeader, 256); return &b }}

// recycle gives a buffer back to the pool, unless it grew too large to keep.
func recycle(bp *[]byte) {
	if cap(*bp) <= 1<<16 {
		*bp = (*bp)[:frameHeader]
		encodeBuffers.Put(bp)
	}
}

func (c *Channel[T]) decode(msg []byte, ok bool, err error) (v T, _ bool, _ error) {
	if err != nil || !ok {
		return v, false, err
	}
	v, err = c.codec.Decode(msg)
	if err != nil {
		return v, false, &DecodeError{Codec: c.codecName, Err: err}
	}
	return v, true, nil
}

// Stats are this rank's counters for one channel.
type Stats struct {
	Puts, Takes            int64 // completed operations
	BytesPut, BytesTaken   int64 // encoded message bytes
	FramesPut, FramesTaken int64
	Retries                int64 // waits on a full or empty channel
}

// State is a snapshot of the channel as its host sees it.
type State struct {
	Len      int   // messages in the channel, not yet taken
	Free     int   // free frames
	Claimed  int64 // messages claimed so far
	Taken    int64 // messages taken so far
	Claiming bool  // whether any Claim has been made
	Closed   bool
}

// Window layout on the host (docs/DESIGN.md): control words, one state
// word per slot, then the slots. The protocol's steps are in
// internal/rma's C code; these name the same words.
const (
	wFree, wTaken, wTail, wAvail, wHead, wClaimed = rma.WFree, rma.WTaken, rma.WTail, rma.WAvail, rma.WHead, rma.WClaimed
	ctrlWords                                     = rma.CtrlWords
)

const (
	closedMark = int64(1) << 40
	claimFlag  = int64(1) << 62
)

// ring is the untyped channel: the algorithm over MPI atomics (the steps
// themselves are C, in internal/rma; docs/DESIGN.md has the whole story).
//
// A producer (1) reserves k frames from the free-frame semaphore wFree, so a
// put on a full channel can give up without a trace, (2) takes k consecutive
// frame tickets with one fetch-and-add on wTail, (3) waits until those slots
// are released (only a taker already reading them can hold them; skipped
// when every frame was free), (4) puts the frames, and (5) raises the slot
// states to "published" and adds one credit to wAvail. A taker (1) takes a
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
	steps     *rma.Ring
	prog      *progress

	mu    sync.RWMutex // held for reading by operations, for writing by Free
	freed bool

	stats   [7]atomic.Int64
	iterErr atomic.Pointer[error]

	slab     slab         // memory for the first frames of messages taken
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
)

func (r *ring) init(comm *mpi.Communicator, o Options, codec string) error {
	if !rma.Initialized() || rma.Finalized() {
		return ErrNotInitialized
	}
	c, err := rma.Dup(comm)
	if err != nil {
		return err
	}
	if err := agree(c, o, codec); err != nil {
		c.Free()
		return err
	}
	r.comm, r.host, r.cap, r.lay, r.backoff, r.codecName = c, o.Host, int64(o.Capacity), newLayout(o.FrameSize), o.Backoff, codec
	size := 0
	if c.Rank() == r.host {
		size = (ctrlWords+o.Capacity)*8 + o.Capacity*r.lay.slotSize
	}
	if r.win, err = rma.Allocate(c, size); err != nil {
		oneNode, _ := c.OneNode()
		c.Free()
		if !oneNode && strings.Contains(rma.Library(), "Open MPI") {
			err = fmt.Errorf("%w (across nodes Open MPI needs a one-sided component that works there with MPI_THREAD_MULTIPLE: see docs/MPI.md)", err)
		}
		return err
	}
	if size > 0 {
		mem := r.win.Local()
		putWord(mem, wFree, r.cap)
		for s := 0; s < o.Capacity; s++ {
			putWord(mem, ctrlWords+s, 3*int64(s)) // state: free for ticket s
		}
	}
	if r.steps, err = rma.NewRing(r.win, r.host, r.cap, r.lay.slotSize); err != nil {
		r.win.Free()
		c.Free()
		return err
	}
	if err := r.win.LockAll(); err != nil {
		r.steps.Close()
		r.win.Free()
		c.Free()
		return err
	}
	// No rank may touch the host's memory before it is initialised.
	if _, _, err := c.AllreduceMinMax([]int64{0}); err != nil {
		return err
	}
	oneNode, err := c.OneNode()
	if err != nil {
		return err
	}
	openMPILocal := oneNode && strings.Contains(rma.Library(), "Open MPI")
	if size > 0 && !o.NoProgress && !openMPILocal {
		r.prog = startProgress(func() error { return r.win.Poke(r.host) }, r.activity, r.backoff)
	}
	return nil
}

// agree checks, collectively, that every rank passed the same parameters.
func agree(c *rma.Comm, o Options, codec string) error {
	h := fnv.New64a()
	h.Write([]byte(codec))
	valid := int64(1)
	switch {
	case o.Capacity < 1 || o.Capacity > MaxCapacity,
		o.FrameSize < 1 || o.FrameSize > MaxFrameSize,
		o.Host < 0 || o.Host >= c.Size(),
		int64(o.Capacity)*int64(o.FrameSize+frameHeader+8) > maxWindow:
		valid = 0
	}
	names := []string{"validity", "capacity", "frame size", "host rank", "message type or codec"}
	vals := []int64{valid, int64(o.Capacity), int64(o.FrameSize), int64(o.Host), int64(h.Sum64() >> 1)}
	lo, hi, err := c.AllreduceMinMax(vals)
	if err != nil {
		return err
	}
	for i := 1; i < len(vals); i++ {
		if lo[i] != hi[i] {
			return &MismatchError{Param: names[i], Min: lo[i], Max: hi[i]}
		}
	}
	if lo[0] == 0 {
		return fmt.Errorf("%w: capacity %d (1..%d), frame size %d (1..%d), host rank %d (0..%d)",
			ErrInvalid, o.Capacity, MaxCapacity, o.FrameSize, MaxFrameSize, o.Host, c.Size()-1)
	}
	return nil
}

func putWord(mem []byte, word int, v int64) {
	*(*int64)(unsafe.Pointer(&mem[word*8])) = v
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
func (r *ring) activity() int64 {
	return r.win.LocalLoad(wTail*8) + r.win.LocalLoad(wHead*8) + r.win.LocalLoad(wFree*8)
}

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

func (r *ring) fetchAdd(word int, v int64) (int64, error) {
	return r.win.FetchAdd(r.host, word*8, v)
}

// put sends the message in b[frameHeader:]; b's first frameHeader bytes are
// room for a frame header.
func (r *ring) put(ctx context.Context, b []byte, try bool) error {
	msg := b[frameHeader:]
	k := r.lay.frames(len(msg))
	if int64(k) > r.cap {
		return fmt.Errorf("%w: %d bytes need %d frames of %d bytes, the channel holds %d",
			ErrTooLarge, len(msg), k, r.lay.frameSize, r.cap)
	}
	var buf []byte
	if k == 1 && len(b) < alignFrom {
		buf = b // one frame: header and data as they are
		r.lay.header(buf, len(msg), 1)
	} else {
		buf = alignedBuffer(k * r.lay.slotSize)
		r.lay.encode(buf, msg)
	}
	return r.putFrames(ctx, buf, k, len(msg), try)
}

// putFrames sends the k frames in buf, which hold n bytes of message.
func (r *ring) putFrames(ctx context.Context, buf []byte, k, n int, try bool) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()

	// Reserve k frames, take k consecutive tickets, write and publish.
	// Until the reservation succeeds the put can give up without a trace;
	// after it, the put must finish (only takers already reading the
	// previous occupants of its slots can hold it up).
	for attempt := 0; ; attempt++ {
		code, old, ticket, err := r.steps.Put(k, buf)
		if err != nil {
			return err
		}
		if code != rma.No {
			for attempt := 0; code == rma.Wait; attempt++ {
				r.backoff.settle(attempt)
				if code, err = r.steps.Write(ticket, k, buf); err != nil {
					return err
				}
			}
			break
		}
		if old < -closedMark/2 {
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
	r.stats[sPuts].Add(1)
	r.stats[sBytesPut].Add(int64(n))
	if k > 1 {
		r.stats[sExtraFramesPut].Add(int64(k - 1))
	}
	return nil
}

func (r *ring) take(ctx context.Context, try bool) ([]byte, bool, error) {
	if err := r.enter(); err != nil {
		return nil, false, err
	}
	defer r.leave()
	// Take a credit (a published message is there for us) and a ticket,
	// then read. After the credit the take must finish.
	first := r.slab.get(r.lay.slotSize)
	var code, k int
	var ticket int64
	var err error
	for attempt := 0; ; attempt++ {
		// Guess the ticket (one past the last this rank took) while
		// guesses keep coming true: then the ticket and its state cost
		// one flush, not two.
		next, guess := r.nextHead.Load(), int64(-1)
		if r.guessing.Load() {
			guess = next
		}
		if code, ticket, k, err = r.steps.Take(first, guess); err != nil {
			return nil, false, err
		}
		if code != rma.No {
			if hit := ticket == next; hit != r.guessing.Load() {
				r.guessing.Store(hit)
			}
			r.nextHead.Store(ticket + 1)
			break
		}
		done, err := r.noneLeft()
		if err != nil || done {
			return nil, false, err
		}
		if try {
			return nil, false, ErrEmpty
		}
		r.stats[sRetries].Add(1)
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return nil, false, fmt.Errorf("mpichan: take: %w", err)
		}
	}
	for attempt := 0; code == rma.Wait; attempt++ {
		r.backoff.settle(attempt) // its producer is publishing it
		if code, ticket, k, err = r.steps.Read(ticket, first); err != nil {
			return nil, false, err
		}
	}
	if _, err := r.lay.count(first); err != nil || int64(k) > r.cap {
		return nil, false, fmt.Errorf("%w: frame count %d (capacity %d): %v", errFrame, k, r.cap, err)
	}
	buf := first
	if code == rma.More {
		buf = alignedBuffer(k * r.lay.slotSize)
		copy(buf, first)
		if err := r.steps.Finish(ticket, k, buf[r.lay.slotSize:]); err != nil {
			return nil, false, err
		}
	}
	msg, err := r.lay.decode(buf, k == 1)
	if err != nil {
		return nil, false, err
	}
	r.stats[sTakes].Add(1)
	r.stats[sBytesTaken].Add(int64(len(msg)))
	if k > 1 {
		r.stats[sExtraFramesTaken].Add(int64(k - 1))
	}
	return msg, true, nil
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
	w := make([]int64, 1)
	load := func(word int) (int64, error) {
		err := r.win.Load(r.host, word*8, w)
		return w[0], err
	}
	var st State
	var vals [ctrlWords]int64
	for _, word := range []int{wTaken, wClaimed, wAvail, wFree} {
		v, err := load(word)
		if err != nil {
			return st, err
		}
		vals[word] = v
	}
	free := vals[wFree]
	marks := (-free + closedMark/2) / closedMark
	st.Closed = marks > 0
	st.Free = int(free + marks*closedMark)
	st.Taken = vals[wTaken]
	st.Claiming = vals[wClaimed]&claimFlag != 0
	st.Claimed = vals[wClaimed] &^ claimFlag
	st.Len = int(max(vals[wAvail], 0))
	return st, nil
}

// Claim announces n more messages (n >= 0). Any rank may claim at any time;
// see Channel for how claims end the takes.
func (r *ring) Claim(n int) error {
	if n < 0 || int64(n) >= claimFlag/2 {
		return fmt.Errorf("%w: claim of %d messages", ErrInvalid, n)
	}
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	old, err := r.fetchAdd(wClaimed, int64(n))
	if err == nil && old&claimFlag == 0 {
		_, err = r.win.FetchOr(r.host, wClaimed*8, claimFlag)
	}
	return err
}

// Close ends the puts: later puts fail with ErrClosed, puts that already
// reserved space complete, and takes drain what remains, then report none
// left. Closing a closed channel does nothing. Any rank may close.
func (r *ring) Close() error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	old, err := r.fetchAdd(wFree, -closedMark)
	if err == nil && old < -closedMark/2 {
		_, err = r.fetchAdd(wFree, closedMark)
	}
	return err
}

// Len is the number of messages in the channel that no taker has yet.
func (r *ring) Len() (int, error) {
	st, err := r.State()
	return st.Len, err
}

// State reads the channel's counters from its host.
func (r *ring) State() (State, error) {
	if err := r.enter(); err != nil {
		return State{}, err
	}
	defer r.leave()
	return r.state()
}

// Stats returns this rank's counters; it is cheap (no MPI call).
func (r *ring) Stats() Stats {
	g := func(i int) int64 { return r.stats[i].Load() }
	return Stats{Puts: g(sPuts), Takes: g(sTakes), BytesPut: g(sBytesPut), BytesTaken: g(sBytesTaken),
		FramesPut: g(sPuts) + g(sExtraFramesPut), FramesTaken: g(sTakes) + g(sExtraFramesTaken), Retries: g(sRetries)}
}

// Free releases the channel's windows. It is collective: every rank of the
// communicator must call it, after its own operations have finished. Later
// calls on the channel fail with ErrFreed.
func (r *ring) Free() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.freed {
		return ErrFreed
	}
	r.freed = true
	if r.prog != nil {
		r.prog.Stop()
	}
	r.steps.Close()
	return errors.Join(r.win.UnlockAll(), r.win.Free(), r.comm.Free())
}

// Host is the rank that holds the channel.
func (r *ring) Host() int { return r.host }

// Capacity is the channel's size in frames.
func (r *ring) Capacity() int { return int(r.cap) }

// FrameSize is the payload bytes of one frame.
func (r *ring) FrameSize() int { return r.lay.frameSize }
