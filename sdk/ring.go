package mpichan

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/mpichan/mpichan/sdk/internal/rma"
	mpi "github.com/sbromberger/gompi"
)

// ring is the untyped channel: it sets the channel up, picks the rank's
// transport (transport.go), and runs every operation over it, guarded
// against a concurrent Free, through the one wait loop (wait.go).
type ring struct {
	comm      *rma.Comm
	node      *rma.Comm // this rank's node, when the channel is relayed
	t         transport
	host      int
	cap       int64
	lay       layout
	backoff   Backoff
	codecName string
	prefetch  int  // Options.Prefetch, or the transport's default
	tasks     bool // Options.Tasks

	// The host's helpers, which call into MPI on their own thread: a
	// progress poller for a window reached with MPI atomics, or the relay
	// server of a relayed channel (Finalize stops them, finalize.go).
	prog   *progress
	server *relayServer

	guard    guard
	stats    counters
	held     held     // messages loops took but did not deliver
	recycled recycler // large buffers given back by Recycle
}

// init creates the channel's communicator and transport, collectively. If
// any step fails, what the steps before it made is released again.
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
	r.tasks = o.Tasks
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
	var w *window
	shared, werr := false, error(nil)
	r.prefetch = cmp.Or(o.Prefetch, DefaultPrefetch)
	if relayed && hostLocal < 0 {
		r.prefetch = cmp.Or(o.Prefetch, DefaultRelayPrefetch)
		r.t = newRelayClient(c, r.host, r.lay, r.prefetch, &r.guard, r.stats.requests())
	} else if w, shared, werr = newWindow(wc, target, winOneNode, o, r.lay, &r.recycled, &undo); werr == nil {
		r.t = w
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
	if !shared && w != nil && serialRMA(winOneNode) {
		rma.Serialize(true)
	}
	// On shared memory no MPI call reaches the window: nothing to progress.
	// A relay server makes the calls that progress a window over the node.
	progressed := c.Rank() == r.host && !o.NoProgress && !shared && needsProgress(winOneNode)
	if relayed && c.Rank() == r.host {
		var poke func() error
		if progressed {
			poke = func() error { return w.poke(target) }
		}
		r.server = startRelayServer(w, c, poke, r.backoff)
		onFinalize(r.server, func() { r.server.Stop() }) // Finalize stops it if Free does not (finalize.go)
	} else if progressed {
		r.prog = startProgress(func() error { return w.poke(r.host) }, w.activity, r.backoff)
		onFinalize(r.prog, r.prog.Stop)
	}
	onFinalize(r, r.finalize)
	return nil
}

// put sends one message: b holds frameHeader bytes of room and then the
// message, unless data (not nil), the payload of a message of one frame,
// is given apart (b is then unused).
func (r *ring) put(ctx context.Context, b, data []byte, try bool) error {
	n := len(b) - frameHeader
	if data != nil {
		n = len(data)
	}
	k := r.lay.frames(n)
	if int64(k) > r.cap {
		return tooLarge(r.lay, r.cap, n, k)
	}
	if err := r.guard.enter(); err != nil {
		return err
	}
	defer r.guard.leave()
	o := outgoing{data: data, k: 1}
	if data == nil {
		o = r.t.prepare(b, k)
	}
	if err := r.putOrWait(ctx, try, o); err != nil {
		return err
	}
	r.stats.puts(1, n, k-1)
	return nil
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
// A view keeps the channel entered (guard) until its release, so that Free
// waits for it: the view is the host's memory, which Free releases.
func (r *ring) takeOne(ctx context.Context, try, view bool) (msg []byte, held int64, ok bool, err error) {
	if err := r.guard.enter(); err != nil {
		return nil, -1, false, err
	}
	held = -1
	defer func() {
		if held < 0 {
			r.guard.leave()
		}
	}()
	if msg, ok := r.held.pop(); ok {
		return msg, -1, true, nil
	}
	msg, held, st, err := r.t.takeOne(view)
	if err != nil {
		return nil, -1, false, err
	}
	if st != done {
		kept, ok, err := r.waitTake(ctx, try, false, st, func() (st status, err error) {
			msg, held, st, err = r.t.takeOne(view)
			return st, err
		})
		if kept != nil {
			return kept, -1, true, nil
		}
		if err != nil || !ok {
			return nil, -1, false, err
		}
	}
	r.stats.takes(r.lay, msg)
	return msg, held, true, nil
}

// release gives back the slot of a message that takeOne handed out as a
// view (held >= 0); it does nothing for a copied message (held < 0).
func (r *ring) release(held int64) error {
	if held < 0 {
		return nil
	}
	defer r.guard.leave() // entered by takeOne
	return r.t.release(held)
}

// claim adds n to the claimed count, marking the channel as claiming.
func (r *ring) claim(n int) error {
	if n < 0 || int64(n) > rma.MaxClaim {
		return fmt.Errorf("%w: claim of %d messages", ErrInvalid, n)
	}
	if r.tasks {
		return fmt.Errorf("%w: Claim on a channel with Options.Tasks (its puts claim their tasks; Hold keeps it open)", ErrInvalid)
	}
	return r.addClaim(int64(n))
}

// hold claims one task that is never put: the channel's takes are not
// over until done marks it done.
func (r *ring) hold() error { // model: @hold
	if !r.tasks {
		return fmt.Errorf("%w: Hold on a channel without Options.Tasks", ErrInvalid)
	}
	return r.addClaim(1)
}

// addClaim adds n to the claimed count on the host.
func (r *ring) addClaim(n int64) error {
	if err := r.guard.enter(); err != nil {
		return err
	}
	defer r.guard.leave()
	return r.t.claim(n)
}

// done marks n tasks of a Tasks channel done.
func (r *ring) done(n int64) error {
	if !r.tasks {
		return fmt.Errorf("%w: Done on a channel without Options.Tasks", ErrInvalid)
	}
	if err := r.guard.enter(); err != nil {
		return err
	}
	defer r.guard.leave()
	return r.t.done(n)
}

// finished ends one task after a range loop's iteration, on a Tasks
// channel; elsewhere it does nothing.
func (r *ring) finished() error {
	if !r.tasks {
		return nil
	}
	return r.done(1)
}

// close marks the channel closed, once.
func (r *ring) close() error {
	if err := r.guard.enter(); err != nil {
		return err
	}
	defer r.guard.leave()
	return r.t.close()
}

// fail ends the channel for good with err's text (CloseWithError).
func (r *ring) fail(err error) error {
	if err := r.guard.enter(); err != nil {
		return err
	}
	defer r.guard.leave()
	return r.t.fail(r.comm.Rank(), err.Error())
}

// readState is the transport's state, guarded against a concurrent free.
func (r *ring) readState() (State, error) {
	if err := r.guard.enter(); err != nil {
		return State{}, err
	}
	defer r.guard.leave()
	return r.t.state()
}

// counters returns this rank's counters (no MPI call).
func (r *ring) counters() Stats { return r.stats.snapshot(r.prog.Polls() + r.server.Polls()) }

// free releases the transport and the communicators (collective). It
// first waits, until ctx ends, for this rank's own operations to finish
// and for every rank to call it (guard.close). If ctx ends first, the
// channel stays unusable (ErrFreed) and unreleased, and a later free
// waits again.
func (r *ring) free(ctx context.Context) error {
	unlock, err := r.guard.close(ctx, r.comm, r.backoff)
	if err != nil {
		return err
	}
	defer unlock()
	forget(r)
	if r.prog != nil {
		stopNow(r.prog)
	}
	var errs []error
	if r.server != nil { // every rank is done: no request is on its way
		forget(r.server)
		errs = append(errs, r.server.Stop())
	}
	errs = append(errs, r.t.free())
	if r.node != nil {
		errs = append(errs, r.node.Free())
	}
	return errors.Join(append(errs, r.comm.Free())...)
}
