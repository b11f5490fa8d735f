package mpichan

import (
	"context"
	"fmt"
	"sync"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// guard keeps a channel's operations and its Free apart: every operation
// holds it for reading (enter, leave), Free for writing (close). After a
// Free every enter fails with ErrFreed.
type guard struct {
	mu      sync.RWMutex
	freed   bool
	freeing func() (bool, error) // the barrier of a Free that gave up, if any
}

// enter guards an operation against a concurrent Free.
func (g *guard) enter() error {
	g.mu.RLock()
	if g.freed {
		g.mu.RUnlock()
		return ErrFreed
	}
	return nil
}

// leave ends what enter began.
func (g *guard) leave() { g.mu.RUnlock() }

// close waits, until ctx ends, for this rank's operations to leave and
// then for every rank of comm to reach the barrier of its own close, and
// marks the channel freed. On success the caller releases the channel and
// then calls unlock. If ctx ends first, the channel stays freed (ErrFreed
// to every operation) and the next close waits on the same barrier.
func (g *guard) close(ctx context.Context, comm *rma.Comm, b Backoff) (unlock func(), err error) {
	for attempt := 0; !g.mu.TryLock(); attempt++ {
		if err := b.Wait(ctx, attempt); err != nil {
			return nil, fmt.Errorf("mpichan: Free: this rank's own operations on the channel have not finished: %w", err)
		}
	}
	if g.freed && g.freeing == nil {
		g.mu.Unlock()
		return nil, ErrFreed
	}
	g.freed = true
	if g.freeing == nil {
		if g.freeing, err = comm.Barrier(); err != nil {
			g.mu.Unlock()
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		done, err := g.freeing()
		if err != nil {
			g.mu.Unlock()
			return nil, err
		}
		if done {
			break
		}
		if err := b.Wait(ctx, attempt); err != nil {
			g.mu.Unlock()
			return nil, fmt.Errorf("mpichan: Free: not every rank of the channel's communicator called Free: %w", err)
		}
	}
	g.freeing = nil
	return g.mu.Unlock, nil
}
