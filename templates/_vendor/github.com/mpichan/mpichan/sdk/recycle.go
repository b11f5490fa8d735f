package mpichan

import (
	"sync"
	"unsafe"
	"weak"
)

// Recycle gives the memory of v, a message this rank took from this
// channel, back to the channel: a later take of a message of one frame
// reads into it instead of into fresh memory. v must not be used
// afterwards.
//
// It pays from a few KiB up: fresh memory for each message costs more
// than copying the message itself, because the Go heap zeroes it, cycles
// through megabytes that are no longer in the cache, and has the kernel
// map its pages again after it returned them. A consumer that recycles
// each message when done with it allocates nothing per take. On the
// host's node a range over All that has a message given back takes the
// next one alone, into that memory, rather than a batch into fresh memory.
//
// Only one-frame messages of frames of at least 4 KiB, that the codec
// decodes in place (Bytes, Slice) and that were read from the window (on
// the host's node, or with Options.RemoteRMA; not through the relay) are
// kept. Anything else, including a slice that did not come from a take or
// was resliced from its start, is ignored.
func (c *Channel[T]) Recycle(v T) {
	if c.view != nil {
		c.r.recycled.give(c.view(v))
	}
}

// recycleFrom is the smallest slot whose buffers are recycled: below it an
// allocation costs less than the bookkeeping.
const recycleFrom = 4 << 10

// Bounds on a recycler's spare buffers and on the messages it remembers.
const (
	maxSpare = 4
	maxLent  = 256
)

// recycler keeps the buffers of large one-frame messages that their takers
// gave back, for later takes to read into.
//
// Invariants (under mu):
//   - every buffer in spare is one slot long, at least recycleFrom bytes,
//     and referenced by nothing else;
//   - lent maps the payload address of a buffer handed out in a message
//     (buffer[frameHeader:]) to a weak pointer to that payload and the
//     buffer's length. give takes
//     back only a message whose payload is still alive at the address it
//     was lent from, so a slice that did not come from a take is never
//     written to.
type recycler struct {
	mu    sync.Mutex
	lent  map[uintptr]lentPayload
	spare [][]byte
}

// lentPayload is a payload handed out and the length of its slot buffer.
type lentPayload struct {
	payload weak.Pointer[byte]
	slot    int
}

// spares is how many spare buffers wait.
func (rc *recycler) spares() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.spare)
}

// get returns a spare slot buffer, or nil when there is none.
func (rc *recycler) get() []byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := len(rc.spare)
	if n == 0 {
		return nil
	}
	b := rc.spare[n-1]
	rc.spare[n-1] = nil
	rc.spare = rc.spare[:n-1]
	return b
}

// keep adds buf to the spare buffers if it is one slot long, large enough
// and there is room; buf must be referenced by nothing else.
func (rc *recycler) keep(buf []byte) {
	if len(buf) < recycleFrom {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.spare) < maxSpare {
		rc.spare = append(rc.spare, buf)
	}
}

// lend notes that msg, the payload of the one-frame message in slot buffer
// buf, goes to a caller, who may give it back.
func (rc *recycler) lend(buf, msg []byte) {
	if len(buf) < recycleFrom || len(msg) == 0 || &msg[0] != &buf[frameHeader] {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.lent == nil {
		rc.lent = make(map[uintptr]lentPayload)
	}
	if len(rc.lent) >= maxLent { // callers keep their messages: forget the dead, or all
		for k, w := range rc.lent {
			if w.payload.Value() == nil {
				delete(rc.lent, k)
			}
		}
		if len(rc.lent) >= maxLent {
			clear(rc.lent)
		}
	}
	rc.lent[uintptr(unsafe.Pointer(&msg[0]))] = lentPayload{weak.Make(&msg[0]), len(buf)}
}

// give takes back the buffer of payload msg if it was lent.
func (rc *recycler) give(msg []byte) {
	if len(msg) == 0 {
		return
	}
	at := uintptr(unsafe.Pointer(&msg[0]))
	rc.mu.Lock()
	w, ok := rc.lent[at]
	delete(rc.lent, at)
	rc.mu.Unlock()
	if !ok || w.payload.Value() != &msg[0] {
		return
	}
	// The payload is lent memory: its slot buffer starts frameHeader bytes
	// before it, in the same allocation.
	start := (*byte)(unsafe.Add(unsafe.Pointer(&msg[0]), -frameHeader))
	rc.keep(unsafe.Slice(start, w.slot))
}
