package mpichan

import (
	"context"
	"sync"
	"time"
)

// What a rank leaves running must be shut down before MPI_Finalize:
// goroutines that call into MPI on their own (a host's progress poller, a
// relay server) would call it afterwards (MPI_Iprobe after MPI_Finalize
// crashes the process under MPICH), and a window that is never freed makes
// MPICH's MPI_Finalize abort in UCX ("ucp_rcache: destroying inuse
// region"). Whoever starts such a thing registers its shutdown with
// onFinalize; Finalize runs every registered shutdown, in the order they
// were registered, before it shuts MPI down. The owner's own end (Free)
// runs it with stopNow, or drops it with forget. Each runs once: a second
// caller waits until the first has finished.
var finalizers struct {
	mu   sync.Mutex
	list []*finalizer
}

type finalizer struct {
	key  any
	once sync.Once
	stop func()
}

// onFinalize registers stop under key (a pointer that the owner keeps).
func onFinalize(key any, stop func()) {
	finalizers.mu.Lock()
	defer finalizers.mu.Unlock()
	finalizers.list = append(finalizers.list, &finalizer{key: key, stop: stop})
}

// take removes key's registration and returns it (nil if none).
func take(key any) *finalizer {
	finalizers.mu.Lock()
	defer finalizers.mu.Unlock()
	for i, f := range finalizers.list {
		if f.key == key {
			finalizers.list = append(finalizers.list[:i], finalizers.list[i+1:]...)
			return f
		}
	}
	return nil
}

// stopNow runs the shutdown registered under key, unless it has run, and
// forgets it. A key never registered is ignored.
func stopNow(key any) {
	if f := take(key); f != nil {
		f.once.Do(f.stop)
	}
}

// forget drops key's registration without running it.
func forget(key any) { take(key) }

// stopAll runs every registered shutdown, oldest first (Finalize, before
// MPI_Finalize), and returns how many there were.
func stopAll() int {
	n := 0
	for {
		finalizers.mu.Lock()
		if len(finalizers.list) == 0 {
			finalizers.mu.Unlock()
			return n
		}
		f := finalizers.list[0]
		finalizers.mu.Unlock()
		stopNow(f.key)
		n++
	}
}

// finalizeFreeWait bounds how long Finalize waits to free a channel that
// was not freed: every rank of the channel's communicator must reach it
// (in Free or Finalize), and this rank's own operations on it must end.
const finalizeFreeWait = 10 * time.Second

// finalize is a channel's shutdown at Finalize, when it was not freed: it
// stops the host's poller or relay server, then frees the channel collectively if every
// rank of its communicator does so within finalizeFreeWait. Channels are
// freed in the order they were made, the order every rank made them in.
func (r *ring) finalize() {
	stopNow(r.prog)
	stopNow(r.server)
	ctx, cancel := context.WithTimeout(context.Background(), finalizeFreeWait)
	defer cancel()
	r.free(ctx)
}
