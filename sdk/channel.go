package mpichan

import (
	"context"
	"fmt"
	"iter"
	"sync"

	mpi "github.com/sbromberger/gompi"
)

// Channel is a bounded multi-producer, multi-consumer queue of messages of
// type T held in an MPI one-sided window on its host rank. Any rank of its
// communicator may put and take; all methods are safe for concurrent use by
// many goroutines. The package documentation describes its life: New and
// Free, Claim and Close.
type Channel[T any] struct {
	r     ring // the untyped protocol driver (ring.go)
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
	if err := ch.r.init(comm, opt.withDefaults(), codecName(codec)); err != nil {
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

// send puts v. When the codec can show v's bytes as they are and they fit
// one frame, they are sent from where they are (the transport adds the
// frame header); anything else is encoded into a pooled buffer first.
func (c *Channel[T]) send(ctx context.Context, v T, try bool) error {
	if c.view != nil {
		if data := c.view(v); len(data) <= c.r.lay.frameSize {
			if data == nil {
				data = []byte{} // an empty message, still given apart
			}
			return c.r.put(ctx, nil, data, try)
		}
	}
	msg, err := c.encode(v)
	if err != nil {
		return err
	}
	defer recycle(msg)
	return c.r.put(ctx, *msg, nil, try)
}

// PutBatch puts vs in order, in as few batches as the channel allows: a
// batch costs the host the round trips of one Put, so a producer that has
// many messages ready sends them far faster than with a Put each. Takers
// see each message whole and each producer's messages in order. It returns
// how many of vs were put (vs[:n]), and fails as Put does.
func (c *Channel[T]) PutBatch(ctx context.Context, vs []T) (n int, err error) {
	msgs := make([][]byte, 0, len(vs))
	for _, v := range vs {
		m, err := c.encode(v)
		if err != nil {
			return 0, err
		}
		defer recycle(m)
		msgs = append(msgs, *m)
	}
	return c.r.putMany(ctx, msgs)
}

// PutF starts a Put and returns at once. v is encoded (copied) before PutF
// returns, so the caller may reuse v's memory straight away.
func (c *Channel[T]) PutF(ctx context.Context, v T) *Future[struct{}] {
	msg, err := c.encode(v)
	return newFuture(func() (struct{}, bool, error) {
		if err == nil {
			err = c.r.put(ctx, *msg, nil, false)
			recycle(msg)
		}
		return struct{}{}, err == nil, err
	})
}

// Take receives a message, waiting while the channel is empty and more
// messages are expected. ok is false when none is left (see Claim and Close).
// Small messages that the codec decodes in place ([]byte, numeric slices)
// share 4 KiB blocks of memory: keeping one keeps its block alive.
func (c *Channel[T]) Take(ctx context.Context) (v T, ok bool, err error) {
	return c.decode(c.r.take(ctx, false))
}

// explain adds to the error of a take that waited until its context ended
// why the wait may have been in vain (see waitNote).
func (c *Channel[T]) explain(err error) error { return waitNote(err, &c.r) }

// TryTake receives a message if one is there now. It fails with ErrEmpty
// when the channel is empty but more messages are expected; ok is false
// when none is left.
func (c *Channel[T]) TryTake() (v T, ok bool, err error) {
	return c.decode(c.r.take(context.Background(), true))
}

// TakeF starts a Take and returns at once. To give up on it, cancel ctx:
// Wait then returns either the message the take had already got (ok), or
// ctx's error; no message is lost as long as every future is waited for.
// TakeAny waits on several channels at once.
func (c *Channel[T]) TakeF(ctx context.Context) *Future[T] {
	return newFuture(func() (T, bool, error) { return c.Take(ctx) })
}

// All returns an iterator over the channel's messages, for use in a range
// loop. The iteration ends when no message is left (see Claim), or with
// one last pair (zero value, error) when a take fails or ctx ends (checked
// before every message). Each loop gets its own error, so many goroutines may range over
// one channel at once:
//
//	for v, err := range ch.All(ctx) {
//		if err != nil {
//			return err
//		}
//		use(v)
//	}
//
// A loop that ranges with one variable drops that error: check it.
func (c *Channel[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		l := c.r.loop(ctx)
		defer l.stop()
		for {
			if err := ctx.Err(); err != nil {
				var zero T
				yield(zero, c.explain(fmt.Errorf("mpichan: take: %w", err)))
				return
			}
			v, ok, err := c.decode(l.next())
			if err != nil {
				yield(v, err)
				return
			}
			if !ok {
				return
			}
			more := yield(v, nil)
			if err := c.r.finished(); err != nil {
				if more {
					yield(v, err)
				}
				return
			}
			if !more {
				return
			}
		}
	}
}

// Done marks one task this rank took from a channel with Options.Tasks as
// done: the tasks it put while it held that one are then counted, and
// takes everywhere end once no task is queued and none is held. Call it
// once for every message Take, TryTake, TakeF or TakeAny returned; a range
// over All or Views calls it itself when each iteration ends.
func (c *Channel[T]) Done() error { return c.r.done(1) }

// Hold keeps a channel with Options.Tasks open as if this rank held a
// task: takes do not end until a matching Done. A rank that puts the
// first tasks without holding one of the channel's own puts them inside
// a Hold (or as one PutBatch), so that no taker sees the end between two
// of its puts.
func (c *Channel[T]) Hold() error { return c.r.hold() }

// encode returns v's bytes behind frameHeader bytes of room, so that a
// one-frame message is sent from this buffer as it is. The buffer comes
// from a pool; recycle returns it once the put is over.
func (c *Channel[T]) encode(v T) (*[]byte, error) {
	bp := encodeBuffers.Get().(*[]byte)
	b, err := c.codec.Append((*bp)[:frameHeader], v)
	if err != nil {
		recycle(bp)
		return nil, fmt.Errorf("mpichan: %s codec: encode: %w", c.r.codecName, err)
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
		return v, false, c.explain(err)
	}
	v, err = c.codec.Decode(msg)
	if err != nil {
		return v, false, &DecodeError{Codec: c.r.codecName, Err: err}
	}
	return v, true, nil
}

// Stats are this rank's counters for one channel.
type Stats struct {
	Puts, Takes            int64 // completed operations
	BytesPut, BytesTaken   int64 // encoded message bytes
	FramesPut, FramesTaken int64
	Retries                int64 // waits on a full or empty channel
	Polls                  int64 // calls into MPI by the host's progress goroutine or relay server
	Requests               int64 // requests this rank sent to the host's relay server (round trips)
}

// State is a snapshot of the channel as its host sees it.
type State struct {
	Len      int   // messages in the channel, not yet taken
	Free     int   // free frames
	Claimed  int64 // messages claimed so far
	Taken    int64 // messages taken so far
	Done     int64 // tasks marked done so far (Options.Tasks)
	Claiming bool  // whether any Claim has been made
	Closed   bool
}

// Claim announces n more messages (n >= 0). Any rank may claim at any time;
// see the package documentation for how claims end the takes.
func (c *Channel[T]) Claim(n int) error { return c.r.claim(n) }

// Close ends the puts: later puts fail with ErrClosed, puts that already
// reserved space complete, and takes drain what remains, then report none
// left. Closing a closed channel does nothing. Any rank may close.
func (c *Channel[T]) Close() error { return c.r.close() }

// CloseWithError ends the channel for good, like io.PipeWriter's
// CloseWithError: every put and take on every rank that is waiting, or
// comes later, fails with a *FailedError (errors.Is(err, ErrFailed))
// naming this rank and err's text, cut to a few hundred bytes. Waiters
// notice at their next retry (at most Backoff.Max later). Messages still
// in the channel are not delivered (a range loop first hands out those it
// had already taken); puts and takes already under way complete. Only the first failure counts: a later CloseWithError, on any
// rank, does nothing. With a nil err it is Close. Any rank may call it.
func (c *Channel[T]) CloseWithError(err error) error {
	if err == nil {
		return c.Close()
	}
	return c.r.fail(err)
}

// Len is the number of messages in the channel that no taker has yet.
func (c *Channel[T]) Len() (int, error) {
	st, err := c.r.readState()
	return st.Len, err
}

// State reads the channel's counters from its host.
func (c *Channel[T]) State() (State, error) { return c.r.readState() }

// Stats returns this rank's counters; it is cheap (no MPI call).
func (c *Channel[T]) Stats() Stats { return c.r.counters() }

// Free releases the channel's window and communicator. It is collective:
// every rank of the channel's communicator must call it, after its own
// operations on the channel have finished. It waits for both until ctx
// ends. It then returns an error wrapping ctx's: the channel is unusable but
// not released, and the other ranks' Free waits for this rank. Call Free
// again to wait on, or end the job (World().Abort). After Free, every call
// on the channel fails with ErrFreed.
func (c *Channel[T]) Free(ctx context.Context) error { return c.r.free(ctx) }

// Host is the rank that holds the channel.
func (c *Channel[T]) Host() int { return c.r.host }

// Capacity is the channel's size in frames.
func (c *Channel[T]) Capacity() int { return int(c.r.cap) }

// FrameSize is the payload bytes of one frame.
func (c *Channel[T]) FrameSize() int { return c.r.lay.frameSize }
