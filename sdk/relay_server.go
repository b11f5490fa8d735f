package mpichan

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// relayServer runs, on the host of a relayed channel, the requests of the
// ranks off its node (relay.go), one at a time, on a thread of its own.
// It never waits for a full or empty channel: it answers so, and the
// client waits. It takes the place of the host's progress poller: while
// requests keep coming (for relayHotFor after the last one) it yields the
// CPU between polls (sched_yield: any other runnable thread goes first),
// as a two-sided farm's host waits in a blocking receive; once they stop,
// it naps ever longer (relayHotPause up to Backoff.Max). A request that
// arrives is served at once and the next poll follows without a pause.
// Napping relayHotPause between polls while hot instead made each relayed
// request cost 250-500 µs across 2 test hosts, against a 50-100 µs round
// trip.
//
// It reaches the channel through the host's window transport, unguarded
// (the server must serve while its own rank waits in Free): takeInto,
// prepareBatch and put, claim, close and state, each one try that never
// waits for another rank.
type relayServer struct {
	w       *window
	comm    *rma.Comm
	backoff Backoff
	poke    func() error // progresses a window over the node reached with MPI atomics, if any
	stop    chan struct{}
	once    sync.Once
	done    chan struct{}
	err     error // why the server ended early, if it did
	polls   atomic.Int64

	// Reused from one request to the next (one server thread; a blocking
	// send is done with its buffer when it returns): the batch a take
	// reads from the window, and the answer its messages are copied into.
	scratch, ans []byte
}

// relayHotPause is the shortest nap once requests have stopped for
// relayHotFor (the progress poller's pacing, progress.go: hotPause,
// hotFor, kept apart so that each may be tuned).
const (
	relayHotPause = 20 * time.Microsecond
	relayHotFor   = 20 * time.Millisecond
)

func startRelayServer(w *window, comm *rma.Comm, poke func() error, b Backoff) *relayServer {
	s := &relayServer{w: w, comm: comm, backoff: b, poke: poke, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *relayServer) run() {
	defer close(s.done)
	// A thread of its own, never unlocked, so the thread, whose timer
	// slack preciseNaps changed, ends with it.
	runtime.LockOSThread()
	preciseNaps()
	var m rma.Message
	var req []byte
	busyAt, naps, b := time.Now(), 0, s.backoff
	for {
		ok, err := s.comm.Probe(rma.AnySource, tagRequest, &m)
		if err == nil && ok {
			if cap(req) < m.Len {
				req = make([]byte, m.Len)
			}
			req = req[:m.Len]
			if err = m.Recv(req); err == nil {
				tag, ans := s.serve(req)
				err = s.comm.Send(m.From, tag, ans)
			}
		}
		if err == nil && !ok && s.poke != nil {
			err = s.poke()
		}
		if err != nil {
			s.err = fmt.Errorf("mpichan: relay server: %w", err)
			fmt.Fprintln(os.Stderr, s.err)
			return
		}
		s.polls.Add(1)
		if ok {
			busyAt, naps = time.Now(), 0
			continue
		}
		select {
		case <-s.stop:
			return
		default:
		}
		if time.Since(busyAt) < relayHotFor {
			osYield()
			continue
		}
		naps++
		nap(max(relayHotPause, b.Delay(b.Yields+naps)))
	}
}

// serve runs one request and returns its answer and the answer's tag.
// It never waits for another rank: a put that finds no room and a take
// that finds no message answer so at once.
func (s *relayServer) serve(req []byte) (tag int, ans []byte) {
	if len(req) < 8*headWords {
		return 0, nil // no tag to answer to; cannot come from a client
	}
	w := s.w
	op, tag, arg := wordAt(req, 0), int(wordAt(req, 1)), wordAt(req, 2)
	answer := func(code int, value int64) []byte { return appendWords(make([]byte, 0, 16), int64(code), value) }
	fail := func(err error) []byte {
		if fe := (*FailedError)(nil); errors.As(err, &fe) {
			return append(answer(rFailed, int64(fe.Rank)), fe.Text...)
		}
		return append(answer(rErr, 0), err.Error()...)
	}
	switch op {
	case opTake:
		want := int(min(max(arg, 1), int64(min(rma.BatchMax, max(1, batchBytes/w.lay.slotSize)))))
		if need := want * w.lay.slotSize; len(s.scratch) < need {
			s.scratch = alignedBuffer(need)
		}
		msgs, avail, st, err := w.takeInto(want, s.scratch)
		switch {
		case err != nil:
			return tag, fail(err)
		case st == noneLeft:
			return tag, answer(rNoneLeft, 0)
		case st != done:
			return tag, answer(rEmpty, 0)
		}
		s.ans = appendMsgs(appendWords(s.ans[:0], rOK, avail), msgs)
		return tag, s.ans
	case opPut:
		msgs, err := splitMsgs(req[8*headWords:])
		if err != nil {
			return tag, fail(err)
		}
		n, frames, _, err := cutBatch(w.lay, w.cap, msgs)
		if err == nil && n < len(msgs) {
			err = fmt.Errorf("%w: a relayed batch of %d messages, more than one batch", ErrInvalid, len(msgs))
		}
		st := done
		if err == nil {
			st, err = w.put(w.prepareBatch(msgs, frames))
		}
		switch {
		case err != nil:
			return tag, fail(err)
		case st == full:
			return tag, answer(rFull, 0)
		case st == closed:
			return tag, answer(rClosed, 0)
		}
		return tag, answer(rOK, 0)
	case opClaim, opClose, opFail, opDone:
		var err error
		switch op {
		case opClaim:
			err = w.claim(arg)
		case opDone:
			err = w.done(arg)
		case opClose:
			err = w.close()
		case opFail:
			var text [][]byte
			if text, err = splitMsgs(req[8*headWords:]); err == nil && len(text) != 1 {
				err = fmt.Errorf("%w: relayed failure of %d texts", ErrInvalid, len(text))
			}
			if err == nil {
				err = w.fail(int(arg), string(text[0]))
			}
		}
		if err != nil {
			return tag, fail(err)
		}
		return tag, answer(rOK, 0)
	case opState:
		st, err := w.state()
		if err != nil {
			return tag, fail(err)
		}
		b2i := func(b bool) int64 {
			if b {
				return 1
			}
			return 0
		}
		return tag, appendWords(answer(rOK, 0), int64(st.Len), int64(st.Free), st.Claimed, st.Taken, b2i(st.Claiming), b2i(st.Closed), st.Done)
	}
	return tag, fail(fmt.Errorf("%w: relay request %d", ErrInvalid, op))
}

// Polls is how many times the server has called into MPI (0 for none).
func (s *relayServer) Polls() int64 {
	if s == nil {
		return 0
	}
	return s.polls.Load()
}

// Stop ends the server and waits for it; it returns why the server ended
// early, if it did. Call it only when no request can come any more.
// Calling it again does nothing more.
func (s *relayServer) Stop() error {
	s.once.Do(func() { close(s.stop) })
	<-s.done
	return s.err
}
