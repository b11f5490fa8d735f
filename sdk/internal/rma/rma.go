// Package rma is a thin cgo binding for the MPI one-sided (RMA) calls that
// github.com/sbromberger/gompi lacks: windows, passive-target epochs,
// atomics, put/get and flush.
//
// Every call that starts an operation also completes it (flush) before
// returning, so Go memory handed to C is only used for the duration of the
// call and no result is read before MPI has completed it. The cgo flags come
// from the environment (CGO_CFLAGS/CGO_LDFLAGS, set by the project Makefile
// from pkg-config), exactly as gompi expects.
package rma

/*
#include <mpi.h>
#include <stdint.h>
#include <string.h>

static int rma_fetch_add(MPI_Win w, int t, MPI_Aint d, int64_t v, int64_t *old) {
	int rc = MPI_Fetch_and_op(&v, old, MPI_INT64_T, t, d, MPI_SUM, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

static int rma_fetch_or(MPI_Win w, int t, MPI_Aint d, int64_t v, int64_t *old) {
	int rc = MPI_Fetch_and_op(&v, old, MPI_INT64_T, t, d, MPI_BOR, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

// rma_load reads n int64 words atomically (element-wise) into out.
static int rma_load(MPI_Win w, int t, MPI_Aint d, int n, int64_t *out) {
	int rc = MPI_Get_accumulate(NULL, 0, MPI_INT64_T, out, n, MPI_INT64_T, t, d, n, MPI_INT64_T, MPI_NO_OP, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

// rma_store_add atomically replaces n words at ds with vals, then adds a1 at
// d1 and a2 at d2 (skipped when the displacement is negative), all completed
// by one flush.
static int rma_store_add(MPI_Win w, int t, MPI_Aint ds, int n, int64_t *vals,
                         MPI_Aint d1, int64_t a1, MPI_Aint d2, int64_t a2) {
	int rc;
	if (n > 0) {
		rc = MPI_Accumulate(vals, n, MPI_INT64_T, t, ds, n, MPI_INT64_T, MPI_REPLACE, w);
		if (rc != MPI_SUCCESS) return rc;
	}
	if (d1 >= 0) {
		rc = MPI_Accumulate(&a1, 1, MPI_INT64_T, t, d1, 1, MPI_INT64_T, MPI_SUM, w);
		if (rc != MPI_SUCCESS) return rc;
	}
	if (d2 >= 0) {
		rc = MPI_Accumulate(&a2, 1, MPI_INT64_T, t, d2, 1, MPI_INT64_T, MPI_SUM, w);
		if (rc != MPI_SUCCESS) return rc;
	}
	return MPI_Win_flush(t, w);
}

// rma_acquire takes n units from the counting semaphore at ds (fetch-and-add
// -n); if it held fewer, it gives them back and returns 0. On success it
// fetch-adds inc at dt and stores the old value in *ticket. *old is the
// semaphore's value before. One cgo call instead of two or three.
static int rma_acquire(MPI_Win w, int t, MPI_Aint ds, int64_t n, MPI_Aint dt, int64_t inc,
                       int64_t *old, int64_t *ticket, int *ok) {
	int rc = rma_fetch_add(w, t, ds, -n, old);
	if (rc != MPI_SUCCESS) return rc;
	if (*old < n) {
		int64_t back;
		*ok = 0;
		return rma_fetch_add(w, t, ds, n, &back);
	}
	*ok = 1;
	return rma_fetch_add(w, t, dt, inc, ticket);
}

// rma_check_xfer loads n words at dw; if word i equals base + i*step for
// every i, it puts (dir 1) or gets (dir 0) len bytes at dd, and sets *ok.
static int rma_check_xfer(MPI_Win w, int t, MPI_Aint dw, int n, int64_t base, int64_t step,
                          int64_t *seen, int dir, MPI_Aint dd, void *buf, int len, int *ok) {
	int rc = rma_load(w, t, dw, n, seen);
	if (rc != MPI_SUCCESS) return rc;
	*ok = 0;
	for (int i = 0; i < n; i++)
		if (seen[i] != base + i * step) return MPI_SUCCESS;
	*ok = 1;
	if (len == 0) return MPI_SUCCESS;
	rc = dir ? MPI_Put(buf, len, MPI_BYTE, t, dd, len, MPI_BYTE, w)
	         : MPI_Get(buf, len, MPI_BYTE, t, dd, len, MPI_BYTE, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

static int rma_put(MPI_Win w, int t, MPI_Aint d, void *buf, int n) {
	int rc = MPI_Put(buf, n, MPI_BYTE, t, d, n, MPI_BYTE, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

static int rma_get(MPI_Win w, int t, MPI_Aint d, void *buf, int n) {
	int rc = MPI_Get(buf, n, MPI_BYTE, t, d, n, MPI_BYTE, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(t, w);
}

static int rma_alloc(MPI_Comm c, MPI_Aint size, MPI_Win *w, void **base) {
	int rc = MPI_Win_allocate(size, 1, MPI_INFO_NULL, c, base, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_set_errhandler(*w, MPI_ERRORS_RETURN);
}

// rma_poke reads a word of the caller's own window: a real one-sided
// operation, which drives the progress engine that serves this window.
static int rma_poke(MPI_Win w, int self) {
	int64_t z = 0, old;
	int rc = MPI_Fetch_and_op(&z, &old, MPI_INT64_T, self, 0, MPI_NO_OP, w);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Win_flush(self, w);
}

static int rma_allreduce(MPI_Comm c, int64_t *in, int64_t *out, int n, int max) {
	return MPI_Allreduce(in, out, n, MPI_INT64_T, max ? MPI_MAX : MPI_MIN, c);
}

static int rma_dup(MPI_Comm c, MPI_Comm *out) {
	int rc = MPI_Comm_dup(c, out);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Comm_set_errhandler(*out, MPI_ERRORS_RETURN);
}

// rma_one_node sets *one when every rank of c shares this rank's node.
static int rma_one_node(MPI_Comm c, int *one) {
	MPI_Comm node;
	int n, all, rc = MPI_Comm_split_type(c, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
	if (rc != MPI_SUCCESS) return rc;
	MPI_Comm_size(node, &n);
	MPI_Comm_size(c, &all);
	MPI_Comm_free(&node);
	*one = n == all;
	return MPI_SUCCESS;
}

static int rma_comm_free(MPI_Comm *c) { return MPI_Comm_free(c); }
static int rma_rank(MPI_Comm c, int *r) { return MPI_Comm_rank(c, r); }
static int rma_size(MPI_Comm c, int *s) { return MPI_Comm_size(c, s); }

static int64_t rma_local_load(void *base, MPI_Aint d) {
	return __atomic_load_n((int64_t *)((char *)base + d), __ATOMIC_ACQUIRE);
}

static void rma_library(char *buf, int *n) { MPI_Get_library_version(buf, n); }
static int rma_lib_max(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
static int rma_initialized(void) { int f = 0; MPI_Initialized(&f); return f; }
static int rma_finalized(void) { int f = 0; MPI_Finalized(&f); return f; }
static int rma_thread_level(void) { int p = 0; MPI_Query_thread(&p); return p; }
static int rma_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	mpi "github.com/sbromberger/gompi"
)

// Error is a failed MPI call: the call's name and MPI's error code and text.
type Error struct {
	Op   string
	Code int
}

func (e *Error) Error() string {
	return fmt.Sprintf("mpichan: %s failed: MPI error %d", e.Op, e.Code)
}

func check(op string, rc C.int) error {
	if rc == C.MPI_SUCCESS {
		return nil
	}
	return &Error{Op: op, Code: int(rc)}
}

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

// OneNode reports whether all ranks of c run on one node (collective).
func (c *Comm) OneNode() (bool, error) {
	var one C.int
	err := check("MPI_Comm_split_type", C.rma_one_node(c.c, &one))
	return one != 0, err
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
	size int
}

// Allocate creates a window of size bytes on the calling rank (collective;
// ranks that host nothing pass 0). The window's memory is zeroed.
func Allocate(c *Comm, size int) (*Win, error) {
	var w Win
	if err := check("MPI_Win_allocate", C.rma_alloc(c.c, C.MPI_Aint(size), &w.w, &w.base)); err != nil {
		return nil, err
	}
	w.size = size
	if size > 0 {
		C.memset(w.base, 0, C.size_t(size))
	}
	return &w, nil
}

// Local is the window memory of the calling rank (nil when it hosts nothing).
// Write it only before LockAll; afterwards use the atomic calls.
func (w *Win) Local() []byte {
	if w.size == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(w.base), w.size)
}

// LocalLoad atomically loads the int64 at byte offset disp of local memory.
func (w *Win) LocalLoad(disp int) int64 {
	return int64(C.rma_local_load(w.base, C.MPI_Aint(disp)))
}

// LockAll opens the shared passive-target epoch on every rank.
func (w *Win) LockAll() error { return check("MPI_Win_lock_all", C.MPI_Win_lock_all(0, w.w)) }

// UnlockAll closes the epoch opened by LockAll.
func (w *Win) UnlockAll() error { return check("MPI_Win_unlock_all", C.MPI_Win_unlock_all(w.w)) }

// Free releases the window (collective).
func (w *Win) Free() error { return check("MPI_Win_free", C.MPI_Win_free(&w.w)) }

// FetchAdd atomically adds v to the int64 at disp on target and returns the
// previous value.
func (w *Win) FetchAdd(target, disp int, v int64) (int64, error) {
	var old C.int64_t
	err := check("MPI_Fetch_and_op", C.rma_fetch_add(w.w, C.int(target), C.MPI_Aint(disp), C.int64_t(v), &old))
	return int64(old), err
}

// FetchOr atomically ORs v into the int64 at disp and returns the old value.
func (w *Win) FetchOr(target, disp int, v int64) (int64, error) {
	var old C.int64_t
	err := check("MPI_Fetch_and_op", C.rma_fetch_or(w.w, C.int(target), C.MPI_Aint(disp), C.int64_t(v), &old))
	return int64(old), err
}

// Load atomically reads len(out) int64 words starting at disp.
func (w *Win) Load(target, disp int, out []int64) error {
	return check("MPI_Get_accumulate", C.rma_load(w.w, C.int(target), C.MPI_Aint(disp), C.int(len(out)), (*C.int64_t)(unsafe.Pointer(&out[0]))))
}

// StoreAdd atomically stores vals at disp (if any), then adds a1 at d1 and
// a2 at d2 (each skipped when its displacement is negative), completing all
// of them with a single flush.
func (w *Win) StoreAdd(target, disp int, vals []int64, d1 int, a1 int64, d2 int, a2 int64) error {
	var p *C.int64_t
	if len(vals) > 0 {
		p = (*C.int64_t)(unsafe.Pointer(&vals[0]))
	}
	return check("MPI_Accumulate", C.rma_store_add(w.w, C.int(target), C.MPI_Aint(disp), C.int(len(vals)), p,
		C.MPI_Aint(d1), C.int64_t(a1), C.MPI_Aint(d2), C.int64_t(a2)))
}

// Poke makes one call into MPI on the window, as rank self, so that a
// passive target keeps serving one-sided operations while its user code
// computes. (MPI_Iprobe on the window's communicator progresses it 20x
// more slowly with MPICH 4.0.)
func (w *Win) Poke(self int) error { return check("MPI_Fetch_and_op", C.rma_poke(w.w, C.int(self))) }

// Acquire takes n units from the counting semaphore at sem; when it held
// fewer, it puts them back and returns ok == false. On success it adds inc to
// the counter at ticketDisp and returns that counter's previous value. old is
// the semaphore's value before the call.
func (w *Win) Acquire(target, sem int, n int64, ticketDisp int, inc int64) (old, ticket int64, ok bool, err error) {
	var o, tk C.int64_t
	var k C.int
	err = check("MPI_Fetch_and_op", C.rma_acquire(w.w, C.int(target), C.MPI_Aint(sem), C.int64_t(n),
		C.MPI_Aint(ticketDisp), C.int64_t(inc), &o, &tk, &k))
	return int64(o), int64(tk), k != 0, err
}

// CheckPut loads len(seen) words at words; if word i equals base+i*step for
// every i it puts buf at disp and returns true. seen receives the words.
func (w *Win) CheckPut(target, words int, seen []int64, base, step int64, disp int, buf []byte) (bool, error) {
	return w.checkXfer(target, words, seen, base, step, 1, disp, buf)
}

// CheckGet is CheckPut that gets buf from disp instead.
func (w *Win) CheckGet(target, words int, seen []int64, base, step int64, disp int, buf []byte) (bool, error) {
	return w.checkXfer(target, words, seen, base, step, 0, disp, buf)
}

func (w *Win) checkXfer(target, words int, seen []int64, base, step int64, dir, disp int, buf []byte) (bool, error) {
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	var ok C.int
	err := check("MPI_Get_accumulate", C.rma_check_xfer(w.w, C.int(target), C.MPI_Aint(words), C.int(len(seen)),
		C.int64_t(base), C.int64_t(step), (*C.int64_t)(unsafe.Pointer(&seen[0])), C.int(dir),
		C.MPI_Aint(disp), p, C.int(len(buf)), &ok))
	return ok != 0, err
}

// Put copies buf to disp on target and completes the transfer.
func (w *Win) Put(target, disp int, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	return check("MPI_Put", C.rma_put(w.w, C.int(target), C.MPI_Aint(disp), unsafe.Pointer(&buf[0]), C.int(len(buf))))
}

// Get copies len(buf) bytes from disp on target into buf and completes it.
func (w *Win) Get(target, disp int, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	return check("MPI_Get", C.rma_get(w.w, C.int(target), C.MPI_Aint(disp), unsafe.Pointer(&buf[0]), C.int(len(buf))))
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

// ThreadMultiple reports whether MPI granted MPI_THREAD_MULTIPLE.
func ThreadMultiple() bool { return C.rma_thread_level() == C.rma_thread_multiple() }
