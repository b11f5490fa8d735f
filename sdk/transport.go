package mpichan

// transport is how one rank reaches the channel held on its host: the
// host's window, with CPU atomics on shared memory or MPI atomics
// otherwise (window.go; the C steps in internal/rma tell the two apart),
// or the host's relay server (relay_client.go). ring (ring.go) picks one
// at New and drives it; everything above ring is the same for every
// transport.
//
// Each method tries once and never waits for another rank's put or take:
// a put that finds no room or a take that finds no message says so
// (status) with nothing changed, and the one wait loop (wait.go) decides
// whether to back off and try again, give up (TryPut, TryTake), take a
// message a stopped loop left on this rank (held), or report none left.
// Once a try has reserved frames or taken credits it finishes, whatever
// its context: only takers already reading the previous occupants of its
// slots, or producers already publishing the messages it takes, can hold
// it up, and they finish within moments.
//
// Invariants every transport keeps:
//   - a try that returns a status other than done changed nothing on the
//     host, so a caller may give up after it without a trace;
//   - once a rank failed the channel (fail), every try of a put or a
//     take that finds no room or no message returns the *FailedError,
//     and fail leaves neither room nor messages: a waiter learns of it at
//     its next try;
//   - a try that returns done has put or taken exactly what it reports,
//     and a take's messages are whole and in the order of each producer;
//   - state reads Taken before Claimed, so a concurrent claim can only
//     make noneLeft's answer "not yet";
//   - no method is guarded against a concurrent Free: ring enters its
//     guard around every call (the relay server, which must serve while
//     its own rank waits in Free, calls the window unguarded);
//   - no method allocates per frame beyond what the message itself needs.
type transport interface {
	// prepare readies one message of k frames for put, once before its
	// tries: b holds frameHeader bytes of room and then the message. (A
	// one-frame message whose payload is given apart needs no preparing:
	// outgoing{data: payload, k: 1}.)
	prepare(b []byte, k int) outgoing
	// prepareBatch readies msgs (frames in all) for put as one batch.
	prepareBatch(msgs [][]byte, frames int) outgoing
	// put tries once to put what prepare readied, or a payload given
	// apart (outgoing.data): done, full or closed.
	put(o outgoing) (status, error)
	// take tries once to take up to want (>= 1) messages as one batch:
	// done with at least one, empty, or noneLeft. avail is how many were
	// waiting. f is the calling loop's requests in flight, or nil.
	take(want int, f *inFlight) (msgs [][]byte, avail int64, st status, err error)
	// takeOne tries once to take one message. With view, a one-frame
	// message on shared memory is not copied: msg is its payload in the
	// host's memory and held its ticket, to be released (release); held is
	// -1 for a message that was copied.
	takeOne(view bool) (msg []byte, held int64, st status, err error)
	// release gives back the slot of a message takeOne handed out as a view.
	release(held int64) error
	// settle collects the answers to a loop's requests in flight, if any,
	// and returns the messages they brought, in order.
	settle(f *inFlight) [][]byte
	// claim adds n to the claimed count; close marks the channel closed.
	claim(n int64) error
	close() error
	// fail ends the channel for good with rank's error text, unless a
	// rank did so first: every later try of a put or a take on any rank
	// fails with a *FailedError.
	fail(rank int, text string) error
	// done marks n tasks of a Tasks channel done.
	done(n int64) error
	// state is a snapshot of the channel's counters on its host.
	state() (State, error)
	// free releases what the transport holds (collectively: every rank
	// of the channel's communicator frees at once, after a barrier).
	free() error
}

// status is the outcome of one try of a transport.
type status int

const (
	done     status = iota // put or taken
	full                   // put: no room now; nothing changed
	closed                 // put: the channel is closed; nothing changed
	empty                  // take: no message now; nothing changed
	noneLeft               // take: no message now, and none will come
)

// outgoing is one message, or one batch, readied for a transport's put:
// data, the payload of a one-frame message given apart (every transport
// takes it as it is); or, from prepare or prepareBatch, for a window,
// frames (buf) and, for a batch, each message's frame count, and for the
// relay, the messages themselves.
type outgoing struct {
	buf, data []byte
	counts    []int64
	msgs      [][]byte
	k         int
}

// inFlight is a take loop's requests to a relay server whose answers it
// has not collected yet (their reply tags, oldest first); windows ignore
// it. Each request holds the channel's guard until its answer is in.
type inFlight struct {
	tags []int
}
