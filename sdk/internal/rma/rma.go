// Package rma is a small cgo binding for the MPI calls that
// github.com/sbromberger/gompi lacks or gets wrong for the SDK (start-up with
// errors, windows, passive-target epochs, atomics, flush), plus the
// RemoteChannel protocol's steps (rma.c, Ring) and the encoding of its
// control words (ctrl.c: initial state, Claim, Close, State):
// each step is a fixed sequence of a few MPI operations, so that a put or a
// take costs one cgo call when nothing waits. Go keeps the waiting,
// contexts, errors, framing and codecs.
//
// Every call that starts an operation also completes it (flush) before
// returning, so Go memory handed to C is only used for the duration of the
// call and no result is read before MPI has completed it. The cgo flags come
// from the environment (CGO_CFLAGS/CGO_LDFLAGS, set by the project Makefile
// from pkg-config), exactly as gompi expects.
package rma

/*
#cgo CFLAGS: -O2
// (Setting CGO_CFLAGS, as the build must for MPI's include path, drops Go's
// default -O2: the protocol steps would run unoptimised.)
#cgo noescape rma_fetch_add
#cgo nocallback rma_fetch_add
#cgo noescape ring_put
#cgo nocallback ring_put
#cgo noescape ring_write
#cgo nocallback ring_write
#cgo noescape ring_take
#cgo nocallback ring_take
#cgo noescape ring_read
#cgo nocallback ring_read
#cgo noescape ring_finish
#cgo nocallback ring_finish
#cgo noescape ring_take_many
#cgo nocallback ring_take_many
#cgo noescape ring_put_many
#cgo nocallback ring_put_many
#cgo noescape ring_write_many
#cgo nocallback ring_write_many
#include <stdlib.h>
#include <string.h>
#include "rma.h"
#include "ctrl.h"
#include "lib.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	mpi "github.com/sbromberger/gompi"
)

// NewError makes the error of a failed MPI call from the call's name and
// MPI's error code. The SDK replaces it, in its package initialisation, with
// the constructor of its exported error type.
var NewError = func(op string, code int) error {
	_, text := ErrorText(code)
	return fmt.Errorf("mpichan: %s failed: MPI error %d: %s", op, code, text)
}

func check(op string, rc C.int) error {
	if rc == C.MPI_SUCCESS {
		return nil
	}
	return NewError(op, int(rc))
}

// ErrorText is MPI's class and text (MPI_Error_class, MPI_Error_string) for
// an error code; class is -1 when MPI does not know the code.
func ErrorText(code int) (class int, text string) {
	buf := make([]byte, int(C.error_text_max()))
	var cl, n C.int
	C.error_text(C.int(code), &cl, (*C.char)(unsafe.Pointer(&buf[0])), &n)
	return int(cl), strings.TrimRight(string(buf[:n]), "\x00\n ")
}

// Start initialises MPI with MPI_Init_thread, asking for
// MPI_THREAD_MULTIPLE; multiple reports whether MPI granted it.
func Start() (multiple bool, err error) {
	var provided C.int
	err = check("MPI_Init_thread", C.start_mpi(&provided))
	return provided == C.MPI_THREAD_MULTIPLE, err
}

// Stop finalises MPI (MPI_Finalize).
func Stop() error { return check("MPI_Finalize", C.stop_mpi()) }

// Comm is an MPI communicator owned by this package (a duplicate, so its
// traffic never mixes with the caller's).
type Comm struct{ c C.MPI_Comm }

// Dup duplicates a gompi communicator. gompi v0.2.0 keeps the MPI handle in
// the first, unexported field of mpi.Communicator; the handle is read from
// there, which is stable because the dependency is pinned to that version.
// The result is checked against gompi's own rank and size.
func Dup(c *mpi.Communicator) (*Comm, error) {
	src := *(*C.MPI_Comm)(unsafe.Pointer(c))
	var out Comm
	if err := check("MPI_Comm_dup", C.rma_dup(src, &out.c)); err != nil {
		return nil, err
	}
	if out.Rank() != c.Rank() || out.Size() != c.Size() {
		out.Free()
		return nil, fmt.Errorf("mpichan: communicator handle does not match gompi's rank/size")
	}
	return &out, nil
}

// Rank is the calling process's rank in c.
func (c *Comm) Rank() int {
	var r C.int
	C.rma_rank(c.c, &r)
	return int(r)
}

// Size is the number of processes in c.
func (c *Comm) Size() int {
	var s C.int
	C.rma_size(c.c, &s)
	return int(s)
}

// Barrier is a barrier on c that can be given up: it returns at once, and
// done reports whether every rank of c has entered it.
func (c *Comm) Barrier() (done func() (bool, error), err error) {
	var req C.MPI_Request
	if err := check("MPI_Ibarrier", C.ibarrier(c.c, &req)); err != nil {
		return nil, err
	}
	return func() (bool, error) {
		var flag C.int
		err := check("MPI_Test", C.test_request(&req, &flag))
		return flag != 0, err
	}, nil
}

// Free releases the communicator (collective).
func (c *Comm) Free() error { return check("MPI_Comm_free", C.rma_comm_free(&c.c)) }

// AllreduceMinMax returns the element-wise minimum and maximum of v over c.
func (c *Comm) AllreduceMinMax(v []int64) (lo, hi []int64, err error) {
	lo, hi = make([]int64, len(v)), make([]int64, len(v))
	in := (*C.int64_t)(unsafe.Pointer(&v[0]))
	if err = check("MPI_Allreduce", C.rma_allreduce(c.c, in, (*C.int64_t)(unsafe.Pointer(&lo[0])), C.int(len(v)), 0)); err != nil {
		return nil, nil, err
	}
	err = check("MPI_Allreduce", C.rma_allreduce(c.c, in, (*C.int64_t)(unsafe.Pointer(&hi[0])), C.int(len(v)), 1))
	return lo, hi, err
}

// Win is an MPI window allocated with MPI_Win_allocate and held in a shared
// passive-target epoch (lock_all) for its whole life.
type Win struct {
	w    C.MPI_Win
	base unsafe.Pointer
	host unsafe.Pointer // the host's memory, for a window from AllocateShared
	seg  *segment       // not an MPI window: memory from AllocateNodeShared
}

// Allocate creates a window of size bytes on the calling rank (collective;
// ranks that host nothing pass 0). The window's memory is zeroed.
func Allocate(c *Comm, size int) (*Win, error) {
	var w Win
	if err := check("MPI_Win_allocate", C.rma_alloc(c.c, C.MPI_Aint(size), &w.w, &w.base)); err != nil {
		return nil, err
	}
	if size > 0 {
		C.memset(w.base, 0, C.size_t(size))
	}
	return &w, nil
}

// AllocateShared is Allocate for ranks that all share one node
// (MPI_Win_allocate_shared): HostBase then addresses host's memory
// directly, for CPU atomics (see NewRing).
func AllocateShared(c *Comm, size, host int) (*Win, error) {
	var w Win
	if err := check("MPI_Win_allocate_shared", C.rma_alloc_shared(c.c, C.MPI_Aint(size), C.int(host), &w.w, &w.base, &w.host)); err != nil {
		return nil, err
	}
	if size > 0 {
		C.memset(w.base, 0, C.size_t(size))
	}
	return &w, nil
}

// InitChannel writes a channel's initial control and state words for
// capacity slots into the local memory of a host's window. Call it before
// LockAll.
func (w *Win) InitChannel(capacity int) { C.ctrl_init(w.base, C.int64_t(capacity)) }

// Activity changes whenever a put or a take has touched the channel held in
// the local memory of a host's window.
func (w *Win) Activity() int64 { return int64(C.ctrl_activity(w.base)) }

// ChannelBytes is the size of a host's window for a channel of capacity
// slots of slotSize bytes.
func ChannelBytes(capacity, slotSize int) int {
	return int(C.ctrl_window_bytes(C.int64_t(capacity), C.int64_t(slotSize)))
}

// MaxClaim is the largest claim one call may make.
var MaxClaim = int64(C.ctrl_max_claim())

// Claim adds n to the channel's claims, and marks it as claiming.
func (r *Ring) Claim(n int64) error {
	defer serialize()()
	return check("MPI_Fetch_and_op", C.ctrl_claim(r.r, C.int64_t(n)))
}

// Done marks n tasks of a Tasks channel done.
func (r *Ring) Done(n int64) error {
	defer serialize()()
	return check("MPI_Fetch_and_op", C.ctrl_done(r.r, C.int64_t(n)))
}

// CloseChannel marks the channel as closed, once.
func (r *Ring) CloseChannel() error {
	defer serialize()()
	return check("MPI_Fetch_and_op", C.ctrl_close(r.r))
}

// Fail fails the channel for good, once (ctrl_fail): the first call's
// rank and text (cut to FailTextMax bytes) stay; later calls do nothing.
func (r *Ring) Fail(rank int, text string) error {
	defer serialize()()
	b := []byte(text)
	return check("MPI_Fetch_and_op", C.ctrl_fail(r.r, C.int64_t(rank), bytesPtr(b), C.int64_t(len(b))))
}

// FailTextMax is the longest text a failure keeps.
const FailTextMax = int(C.FAIL_TEXT) - 8

// FailText reads the text of the channel's failure (State.Failed).
func (r *Ring) FailText() (string, error) {
	defer serialize()()
	buf := make([]byte, int(C.FAIL_TEXT))
	var n C.int64_t
	if err := check("MPI_Get", C.ctrl_fail_text(r.r, bytesPtr(buf), &n)); err != nil {
		return "", err
	}
	return string(buf[8 : 8+int(n)]), nil
}

// Closed reports whether old, the free-frame count that Ring.Put returned,
// says that the channel is closed.
func Closed(old int64) bool { return C.ctrl_closed(C.int64_t(old)) != 0 }

// State is the channel as its host sees it. Failed is 0, or the rank
// that failed the channel (Fail) plus 1.
type State struct {
	Len, Free, Claimed, Taken, Failed, Done int64
	Claiming, Closed                        bool
}

// State reads the channel's control words.
func (r *Ring) State() (State, error) {
	defer serialize()()
	var s C.ctrl_state_t
	if err := check("MPI_Get_accumulate", C.ctrl_state(r.r, &s)); err != nil {
		return State{}, err
	}
	return State{Len: int64(s.len), Free: int64(s.free), Claimed: int64(s.claimed), Taken: int64(s.taken),
		Failed: int64(s.failed), Done: int64(s.done), Claiming: s.claiming != 0, Closed: s.closed != 0}, nil
}

// LockAll opens the shared passive-target epoch on every rank.
func (w *Win) LockAll() error {
	if w.seg != nil {
		return nil
	}
	return check("MPI_Win_lock_all", C.MPI_Win_lock_all(0, w.w))
}

// UnlockAll closes the epoch opened by LockAll.
func (w *Win) UnlockAll() error {
	if w.seg != nil {
		return nil
	}
	return check("MPI_Win_unlock_all", C.MPI_Win_unlock_all(w.w))
}

// Free releases the window (collective).
func (w *Win) Free() error {
	if w.seg != nil {
		return w.seg.free()
	}
	return check("MPI_Win_free", C.MPI_Win_free(&w.w))
}

// FetchAdd atomically adds v to the int64 at disp on target and returns the
// previous value.
func (w *Win) FetchAdd(target, disp int, v int64) (int64, error) {
	defer serialize()()
	var old C.int64_t
	err := check("MPI_Fetch_and_op", C.rma_fetch_add(w.w, C.int(target), C.MPI_Aint(disp), C.int64_t(v), &old))
	return int64(old), err
}

// Put writes buf at disp on target with MPI_Put and flushes it.
func (w *Win) Put(target, disp int, buf []byte) error {
	defer serialize()()
	return check("MPI_Put", C.rma_put(w.w, C.int(target), C.MPI_Aint(disp), bytesPtr(buf), C.int(len(buf))))
}

// Poke makes one call into MPI on the window, as rank self, so that a
// passive target keeps serving one-sided operations while its user code
// computes. (MPI_Iprobe on the window's communicator progresses it 20x
// more slowly with MPICH 4.0.)
func (w *Win) Poke(self int) error { return check("MPI_Fetch_and_op", C.rma_poke(w.w, C.int(self))) }

// Ring runs the RemoteChannel protocol's steps (see rma.h and
// docs/DESIGN.md) on a channel's window.
type Ring struct {
	r        C.ring_h
	slotSize int
}

// Step results.
const (
	OK   = int(C.R_OK)   // done
	No   = int(C.R_NO)   // no room / no credit; nothing changed
	Wait = int(C.R_WAIT) // a ticket is held but its slots are not ready: call again
	More = int(C.R_MORE) // the first frame of a longer message was read: Finish it
)

// NewRing describes a channel of capacity slots of slotSize bytes held by
// host in w. A window from AllocateShared is reached with CPU atomics only
// (no MPI call), any other with MPI one-sided operations only.
func NewRing(w *Win, host int, capacity int64, slotSize int) (*Ring, error) {
	r := C.ring_new(w.w, C.int(host), C.int64_t(capacity), C.int64_t(slotSize), w.host)
	if r == 0 {
		return nil, fmt.Errorf("mpichan: out of memory for a channel")
	}
	return &Ring{r, slotSize}, nil
}

// Close releases the description (not the window).
func (r *Ring) Close() {
	C.ring_free(r.r)
	r.r = 0
}

func step(op string, rc C.int) (int, error) {
	if rc < 0 {
		return 0, NewError(op, int(-rc))
	}
	return int(rc), nil
}

// bytesPtr passes b to C as char*: a pointer to a type without pointers,
// which cgo need not inspect on every call (as it must a void*).
func bytesPtr(b []byte) *C.char {
	if len(b) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&b[0]))
}

// Put reserves k frames (No when full; old is the free count before), takes
// k tickets and writes buf's frames (Wait: call Write with the ticket).
// With data, k is 1, buf the frame's header and data its payload, which is
// put from where it is.
func (r *Ring) Put(k int, buf, data []byte) (code int, old, ticket int64, err error) {
	defer serialize()()
	var o, t C.int64_t
	n := len(buf)
	if data != nil {
		n = len(data)
	}
	code, err = step("put", C.ring_put(r.r, C.int64_t(k), bytesPtr(buf), bytesPtr(data), C.int64_t(n), &o, &t))
	return code, int64(o), int64(t), err
}

// Write writes and publishes the frames of a held ticket (OK or Wait).
func (r *Ring) Write(ticket int64, k int, buf, data []byte) (int, error) {
	defer serialize()()
	n := len(buf)
	if data != nil {
		n = len(data)
	}
	return step("put", C.ring_write(r.r, C.int64_t(ticket), C.int64_t(k), bytesPtr(buf), bytesPtr(data), C.int64_t(n)))
}

// Take takes a credit (No if none) and a ticket, and reads into first (one
// slot): OK for a one-frame message, More with k frames, Wait with the
// ticket to Read again. guess, if not negative, is the ticket this rank
// expects: its state is read in the same flush as the ticket is taken, which
// saves a flush when the guess is right and costs nothing else.
//
// With view, on shared memory, a one-frame message is not read: slot is its
// slot in the host's memory, which stays the taker's until Release.
func (r *Ring) Take(first []byte, view bool, guess int64) (code int, ticket int64, k int, slot []byte, err error) {
	defer serialize()()
	var t, n C.int64_t
	var at *C.char
	code, err = step("take", C.ring_take(r.r, bytesPtr(first), viewPtr(view, &at), C.int64_t(guess), &t, &n))
	return code, int64(t), int(n), r.slot(at), err
}

// Read retries the read of a held ticket; the ticket may move on past
// frames of other takers' messages. view is as for Take.
func (r *Ring) Read(ticket int64, first []byte, view bool) (code int, next int64, k int, slot []byte, err error) {
	defer serialize()()
	t, n := C.int64_t(ticket), C.int64_t(0)
	var at *C.char
	code, err = step("take", C.ring_read(r.r, &t, bytesPtr(first), viewPtr(view, &at), &n))
	return code, int64(t), int(n), r.slot(at), err
}

// Release releases the one-frame message at ticket that Take or Read
// handed out as a view.
func (r *Ring) Release(ticket int64) error {
	defer serialize()()
	_, err := step("take", C.ring_release(r.r, C.int64_t(ticket), 1))
	return err
}

// viewPtr is where the C steps store a view's address, or nil without view.
func viewPtr(view bool, at **C.char) **C.char {
	if !view {
		return nil
	}
	return at
}

// slot is the slot at C address at (the host's shared memory), or nil.
func (r *Ring) slot(at *C.char) []byte {
	if at == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(at)), r.slotSize)
}

// Finish reads frames 2..k of the message at ticket into rest and releases it.
func (r *Ring) Finish(ticket int64, k int, rest []byte) error {
	defer serialize()()
	_, err := step("take", C.ring_finish(r.r, C.int64_t(ticket), C.int64_t(k), bytesPtr(rest)))
	return err
}

// Shared reports whether the ring reaches its window with CPU atomics.
func (r *Ring) Shared() bool { return C.ring_shared(r.r) != 0 }

// BatchMax bounds the messages of one TakeMany batch.
const BatchMax = int(C.BATCH_MAX)

// Bad is TakeMany's result for a frame count out of range.
const Bad = int(C.R_BAD)

// Batch is a batch of takes in progress (see TakeMany).
type Batch struct{ b C.batch_t }

// Credits is how many messages the batch still owes its taker.
func (b *Batch) Credits() int { return int(b.b.credits) }

// Avail is the credits the channel had when the batch started.
func (b *Batch) Avail() int64 { return int64(b.b.avail) }

// Len is the number of messages the last TakeMany read.
func (b *Batch) Len() int { return int(b.b.n) }

// Msg is message i of the last TakeMany: its first ticket, its frames and
// its offset in the buffer.
func (b *Batch) Msg(i int) (ticket int64, k, off int) {
	return int64(b.b.ticket[i]), int(b.b.count[i]), int(b.b.off[i])
}

// Hit reports whether the batch's first ticket was the one guessed.
func (b *Batch) Hit() bool { return b.b.hit != 0 }

// End is one past the last ticket the batch took.
func (b *Batch) End() int64 { return int64(b.b.end) }

// Partial reports whether the last message read needs Finish.
func (b *Batch) Partial() bool { return b.b.partial != 0 }

// TakeMany takes up to want (<= BatchMax) messages into buf (room for want
// slots) as one batch: OK with b.Len() messages read (call again while
// b.Credits() > 0), Wait with none (call again after a yield), No with
// nothing changed when the channel has no message, Bad for a corrupt frame.
func (r *Ring) TakeMany(want int, guess int64, buf []byte, b *Batch) (int, error) {
	defer serialize()()
	return step("take", C.ring_take_many(r.r, C.int64_t(want), C.int64_t(guess), bytesPtr(buf), &b.b))
}

// PutMany reserves, takes tickets for, writes and publishes n messages
// whose frames (counts[i] each) follow one another in buf: No when full
// (old is the free count before), Wait when a held ticket's slot is still
// being read (call WriteMany with the ticket).
func (r *Ring) PutMany(counts []int64, buf []byte) (code int, old, ticket int64, err error) {
	defer serialize()()
	var o, t C.int64_t
	code, err = step("put", C.ring_put_many(r.r, C.int64_t(len(counts)), (*C.int64_t)(unsafe.Pointer(&counts[0])), bytesPtr(buf), C.int64_t(len(buf)), &o, &t))
	return code, int64(o), int64(t), err
}

// WriteMany retries PutMany's write for a held ticket.
func (r *Ring) WriteMany(ticket int64, counts []int64, buf []byte) (int, error) {
	defer serialize()()
	return step("put", C.ring_write_many(r.r, C.int64_t(ticket), C.int64_t(len(counts)), (*C.int64_t)(unsafe.Pointer(&counts[0])), bytesPtr(buf), C.int64_t(len(buf))))
}

// Library is MPI_Get_library_version's text; it may be called before MPI_Init.
func Library() string {
	buf := make([]byte, int(C.rma_lib_max()))
	var n C.int
	C.rma_library((*C.char)(unsafe.Pointer(&buf[0])), &n)
	return strings.TrimRight(string(buf[:n]), "\x00\n ")
}

// Initialized reports whether MPI_Init has been called.
func Initialized() bool { return C.rma_initialized() != 0 }

// Finalized reports whether MPI_Finalize has been called.
func Finalized() bool { return C.rma_finalized() != 0 }

// Serialized one-sided calls: Open MPI 4.1's osc ucx deadlocks when
// several threads of a process make one-sided calls at once (each waits in
// ompi_osc_ucx_get_accumulate's target lock for the others, measured with
// 4 goroutines per rank). Serialize(true) makes every one-sided call of
// this package take one process-wide lock.
var (
	serialOn atomic.Bool
	serialMu sync.Mutex
)

// Serialize turns the process-wide lock around one-sided calls on or off.
func Serialize(on bool) { serialOn.Store(on) }

func serialize() (unlock func()) {
	if !serialOn.Load() {
		return func() {}
	}
	serialMu.Lock()
	return serialMu.Unlock
}
