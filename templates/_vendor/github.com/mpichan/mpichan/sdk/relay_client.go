package mpichan

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// relayClient sends a rank's requests to the host of a relayed channel
// (relay.go) and waits for their answers.
type relayClient struct {
	comm    *rma.Comm
	host    int
	backoff Backoff
	tags    atomic.Int64
	sent    *atomic.Int64 // requests sent
}

func newRelayClient(comm *rma.Comm, host int, b Backoff, sent *atomic.Int64) *relayClient {
	return &relayClient{comm: comm, host: host, backoff: b, sent: sent}
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
	if code == rErr {
		return code, value, nil, errors.New(string(body))
	}
	return code, value, body, nil
}

// control makes a Claim (opClaim) or a Close (opClose) on the host.
func (c *relayClient) control(op int, arg int64) error {
	_, _, _, err := c.call(op, arg, nil)
	return err
}

// state reads the channel's state on the host.
func (c *relayClient) state() (State, error) {
	_, _, body, err := c.call(opState, 0, nil)
	if err != nil {
		return State{}, err
	}
	if len(body) < 8*stateWords {
		return State{}, fmt.Errorf("%w: relay state of %d bytes", errFrame, len(body))
	}
	w := func(i int) int64 { return wordAt(body, i) }
	return State{Len: int(w(0)), Free: int(w(1)), Claimed: w(2), Taken: w(3), Claiming: w(4) != 0, Closed: w(5) != 0}, nil
}

// stateWords is the words of a State on the wire.
const stateWords = 6

// relayTake takes up to want messages through the host (a relay client's
// take): nothing and no error when none is left; ErrEmpty (try) or a wait
// while the channel is empty. avail is the messages the host had waiting.
// Messages a loop on this rank stopped with come first once the host has
// none.
func (r *ring) relayTake(ctx context.Context, want int, try bool) ([][]byte, int64, error) {
	for attempt := 0; ; attempt++ {
		code, avail, body, err := r.relay.call(opTake, int64(want), nil)
		if err != nil {
			return nil, 0, err
		}
		if code == rOK {
			msgs, err := r.taken(body)
			return msgs, avail, err
		}
		if msg, ok := r.held.pop(); ok { // a loop on this rank stopped meanwhile
			return [][]byte{msg}, 0, nil
		}
		if code == rNoneLeft {
			return nil, 0, nil
		}
		if try {
			return nil, 0, ErrEmpty
		}
		r.stats[sRetries].Add(1)
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return nil, 0, fmt.Errorf("mpichan: take: %w", err)
		}
	}
}

// relayPut puts msgs as one batch through the host (a relay client's
// put): ErrClosed, ErrFull (try) or a wait while the channel is full.
func (r *ring) relayPut(ctx context.Context, msgs [][]byte, try bool) error {
	for attempt := 0; ; attempt++ {
		code, _, _, err := r.relay.call(opPut, 0, msgs)
		switch {
		case err != nil:
			return err
		case code == rOK:
			return nil
		case code == rClosed:
			return ErrClosed
		case try:
			return ErrFull
		}
		r.stats[sRetries].Add(1)
		if err := r.backoff.Wait(ctx, attempt); err != nil {
			return fmt.Errorf("mpichan: put: %w", err)
		}
	}
}

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

// taken reads the messages of a take's answer and counts them.
func (r *ring) taken(body []byte) ([][]byte, error) {
	msgs, err := splitMsgs(body)
	r.countTakes(msgs...)
	return msgs, err
}

// relayBatch is takeBatch on a relay client. It keeps take requests in
// flight while the loop hands out a batch (as a two-sided farm keeps a
// second task in flight), whenever the last answer said that more
// messages were waiting than it brought: the next batches then travel
// while this one is used. Enough requests fly to ask for the loop's batch
// size (l.want <= Prefetch): one for small messages, up to Prefetch / 2
// for messages of 8 KiB, of which one answer carries 2. A loop therefore
// holds at most 2 x Prefetch messages. The server answers requests in
// the order they were sent (one server thread; MPI keeps the order of
// messages between two ranks), and the loop collects the answers in that
// order, so a rank's messages keep their order. Each request in flight
// holds the channel (enter), so Free waits for it; the loop's next batch
// or its stop collects the answer.
func (r *ring) relayBatch(ctx context.Context, l *takeLoop, want int) error {
	perAnswer := max(1, relayBatchBytes/r.lay.slotSize)
	want = min(want, perAnswer)
	var msgs [][]byte
	var avail int64
	for len(msgs) == 0 && len(l.pending) > 0 {
		tag := l.pending[0]
		l.pending = l.pending[1:]
		code, value, body, err := r.relay.answer(tag)
		r.leave()
		if err != nil {
			return err
		}
		if code == rOK {
			if msgs, err = r.taken(body); err != nil {
				return err
			}
			avail = value
		}
	}
	if len(msgs) == 0 { // no request in flight any more
		var err error
		if msgs, avail, err = r.relayTake(ctx, want, false); err != nil || len(msgs) == 0 {
			return err
		}
	}
	l.queue = append(l.queue, msgs...)
	l.want = min(r.prefetch, max(1, int(avail/2)))
	flying := (l.want + perAnswer - 1) / perAnswer
	for avail > int64(len(msgs)) && r.prefetch > 1 && len(l.pending) < flying && r.enter() == nil {
		tag, err := r.relay.send(opTake, int64(min(l.want, perAnswer)), nil)
		if err != nil {
			r.leave()
			return err
		}
		l.pending = append(l.pending, tag)
	}
	return nil
}

// settle collects the answers of the loop's requests in flight, if any,
// and hands their messages to the rank's held queue, in order.
func (l *takeLoop) settle() {
	r := l.r
	for _, tag := range l.pending {
		code, _, body, err := r.relay.answer(tag)
		r.leave()
		if err != nil || code != rOK {
			continue // nothing was taken, or the host failed (every later call says so)
		}
		if msgs, err := r.taken(body); err == nil {
			r.held.push(msgs)
		}
	}
	l.pending = nil
}
