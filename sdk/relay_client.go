package mpichan

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// relayClient is the transport of a rank off the host's node of a
// relayed channel: it sends each try to the host's relay server (relay.go)
// as one request and waits for the answer, which comes within a round
// trip (the server never waits for a full or empty channel).
type relayClient struct {
	comm     *rma.Comm
	host     int
	lay      layout
	prefetch int    // the largest batch a loop asks for
	guard    *guard // the channel's: each request in flight holds it
	tags     atomic.Int64
	sent     *atomic.Int64 // requests sent
}

func newRelayClient(comm *rma.Comm, host int, lay layout, prefetch int, g *guard, sent *atomic.Int64) *relayClient {
	return &relayClient{comm: comm, host: host, lay: lay, prefetch: prefetch, guard: g, sent: sent}
}

// call sends a request and returns the host's answer: its code, value and
// body (see send and answer).
func (c *relayClient) call(op int, arg int64, msgs [][]byte) (code int, value int64, body []byte, err error) {
	tag, err := c.send(op, arg, msgs)
	if err != nil {
		return 0, 0, nil, err
	}
	return c.answer(tag)
}

// send sends a request and returns the tag its answer will carry. Once a
// request is sent, its answer must be awaited (answer) whatever happens:
// no context ends that wait, so what the host did for the request
// (messages taken, a put) always reaches the caller. The host answers
// without waiting, so the wait is one round trip plus the host's poll.
func (c *relayClient) send(op int, arg int64, msgs [][]byte) (tag int, err error) {
	tag = tagFirst + int(c.tags.Add(1)%tagSpan)
	size := 8 * headWords
	if msgs != nil {
		size += msgsBytes(msgs)
	}
	req := appendWords(make([]byte, 0, size), int64(op), int64(tag), arg)
	if msgs != nil {
		req = appendMsgs(req, msgs)
	}
	if err := c.comm.Send(c.host, tagRequest, req); err != nil {
		return 0, err
	}
	c.sent.Add(1)
	return tag, nil
}

// answer waits for the answer with tag and returns its code, value and
// body; an answer rErr is returned as an error.
func (c *relayClient) answer(tag int) (code int, value int64, body []byte, err error) {
	var m rma.Message
	for attempt := 0; ; attempt++ {
		ok, err := c.comm.Probe(c.host, tag, &m)
		if err != nil {
			return 0, 0, nil, err
		}
		if ok {
			break
		}
		answerPause(attempt)
	}
	ans := make([]byte, m.Len)
	if err := m.Recv(ans); err != nil {
		return 0, 0, nil, err
	}
	if len(ans) < 16 {
		return 0, 0, nil, fmt.Errorf("%w: relay answer of %d bytes", errFrame, len(ans))
	}
	code, value, body = int(wordAt(ans, 0)), wordAt(ans, 1), ans[16:]
	switch code {
	case rErr:
		return code, value, nil, errors.New(string(body))
	case rFailed:
		return code, value, nil, &FailedError{Rank: int(value), Text: string(body)}
	}
	return code, value, body, nil
}

func (c *relayClient) claim(n int64) error {
	_, _, _, err := c.call(opClaim, n, nil)
	return err
}

func (c *relayClient) done(n int64) error {
	_, _, _, err := c.call(opDone, n, nil)
	return err
}

func (c *relayClient) close() error {
	_, _, _, err := c.call(opClose, 0, nil)
	return err
}

func (c *relayClient) fail(rank int, text string) error {
	_, _, _, err := c.call(opFail, int64(rank), [][]byte{[]byte(text)})
	return err
}

func (c *relayClient) state() (State, error) {
	_, _, body, err := c.call(opState, 0, nil)
	if err != nil {
		return State{}, err
	}
	if len(body) < 8*stateWords {
		return State{}, fmt.Errorf("%w: relay state of %d bytes", errFrame, len(body))
	}
	w := func(i int) int64 { return wordAt(body, i) }
	return State{Len: int(w(0)), Free: int(w(1)), Claimed: w(2), Taken: w(3), Claiming: w(4) != 0, Closed: w(5) != 0, Done: w(6)}, nil
}

// stateWords is the words of a State on the wire.
const stateWords = 7

// prepare: the relay sends the message, not its frames.
func (c *relayClient) prepare(b []byte, _ int) outgoing {
	return outgoing{msgs: [][]byte{b[frameHeader:]}}
}

func (c *relayClient) prepareBatch(msgs [][]byte, _ int) outgoing { return outgoing{msgs: msgs} }

func (c *relayClient) put(o outgoing) (status, error) {
	msgs := o.msgs
	if o.data != nil {
		msgs = [][]byte{o.data}
	}
	code, _, _, err := c.call(opPut, 0, msgs)
	switch {
	case err != nil:
		return full, err
	case code == rOK:
		return done, nil
	case code == rClosed:
		return closed, nil
	}
	return full, nil
}

func (c *relayClient) takeOne(bool) ([]byte, int64, status, error) {
	msgs, _, st, err := c.take(1, nil)
	if err != nil || st != done {
		return nil, -1, st, err
	}
	return msgs[0], -1, done, nil
}

// A relay client never hands out views.
func (c *relayClient) release(int64) error { return nil }

// The host's memory is not this rank's: nothing to release.
func (c *relayClient) free() error { return nil }

// relayBatchBytes bounds the frames of one relayed batch of takes. Across
// the test hosts (MPICH and Open MPI over UCX tcp) an answer of 2 messages
// of 8 KiB took 350 µs, one of 4 took 1.35 ms, 6 took 1.6 ms (a larger
// message goes by rendezvous, which costs the server's and the client's
// polls); 8 float64 messages are unaffected (62 fit).
const relayBatchBytes = 24 << 10

// answerPause paces the wait for an answer, which the host sends within
// a round trip: first 200 yields (about a round trip between the test
// hosts), then precise naps (nanosleep) from 10 µs doubling up to 100 µs.
// Not Backoff.Wait: a Go timer wakes an otherwise idle process no sooner
// than 1 ms, which made every relayed take across the test hosts cost 1-7
// ms (measured with chanbench, 8 KiB messages). With 50 yields and naps up
// to 500 µs at the default timer slack, a relayed batch of 8 float64
// messages moved 0.4-0.8x the farm's messages across 2 hosts, against
// 0.7-1.1x with these (and relayServer's yields; CHANGELOG.md).
func answerPause(attempt int) {
	const yields = 200
	if attempt < yields {
		osYield()
		return
	}
	preciseNaps() // per thread, and this goroutine may have moved
	nap(min(10*time.Microsecond<<min(attempt-yields, 6), 100*time.Microsecond))
}

// take asks the host for up to want messages. In a range loop (f) it
// keeps take requests in flight while the loop hands out a batch (as a
// two-sided farm keeps a second task in flight), whenever the last answer
// said that more messages were waiting than it brought: the next batches
// then travel while this one is used. Enough requests fly to ask for the
// loop's next batch size (at most Prefetch): one for small messages, up
// to Prefetch / 2 for messages of 8 KiB, of which one answer carries 2. A
// loop therefore holds at most 2 x Prefetch messages. The server answers
// requests in the order they were sent (one server thread; MPI keeps the
// order of messages between two ranks), and the loop collects the answers
// in that order, so a rank's messages keep their order. Each request in
// flight holds the channel's guard, so Free waits for it; the loop's next
// take or its stop (settle) collects the answer.
func (c *relayClient) take(want int, f *inFlight) (msgs [][]byte, avail int64, st status, err error) {
	perAnswer := max(1, relayBatchBytes/c.lay.slotSize)
	want = min(want, perAnswer)
	for f != nil && len(msgs) == 0 && len(f.tags) > 0 {
		tag := f.tags[0]
		f.tags = f.tags[1:]
		code, value, body, err := c.answer(tag)
		c.guard.leave()
		if err != nil {
			return nil, 0, empty, err
		}
		if code == rOK {
			if msgs, err = splitMsgs(body); err != nil {
				return nil, 0, empty, err
			}
			avail = value
		}
	}
	if len(msgs) == 0 { // no request in flight any more
		code, value, body, err := c.call(opTake, int64(want), nil)
		switch {
		case err != nil:
			return nil, 0, empty, err
		case code == rNoneLeft:
			return nil, 0, noneLeft, nil
		case code != rOK:
			return nil, 0, empty, nil
		}
		if msgs, err = splitMsgs(body); err != nil {
			return nil, 0, empty, err
		}
		avail = value
	}
	if f == nil {
		return msgs, avail, done, nil
	}
	next := min(c.prefetch, max(1, int(avail/2))) // the loop's next batch size (takeBatch)
	flying := (next + perAnswer - 1) / perAnswer
	for avail > int64(len(msgs)) && c.prefetch > 1 && len(f.tags) < flying && c.guard.enter() == nil {
		tag, err := c.send(opTake, int64(min(next, perAnswer)), nil)
		if err != nil {
			c.guard.leave()
			return msgs, avail, done, err
		}
		f.tags = append(f.tags, tag)
	}
	return msgs, avail, done, nil
}

// settle collects the answers of a loop's requests in flight, if any,
// and returns their messages, in order.
func (c *relayClient) settle(f *inFlight) [][]byte {
	var all [][]byte
	for _, tag := range f.tags {
		code, _, body, err := c.answer(tag)
		c.guard.leave()
		if err != nil || code != rOK {
			continue // nothing was taken, or the host failed (every later call says so)
		}
		if msgs, err := splitMsgs(body); err == nil {
			all = append(all, msgs...)
		}
	}
	f.tags = nil
	return all
}
