package mpichan

import (
	"runtime"
	"sync"
	"time"
)

// progress keeps a host rank's windows serving one-sided operations while
// its user code computes. MPICH, and Open MPI over networks, complete a
// passive-target operation only when the target calls into MPI; without
// this, a host that computes for a second stalls every other rank for that
// second. The goroutine polls MPI without pause while the channel has been
// busy in the last hotFor, then sleeps ever longer (up to Backoff.Max), so
// an idle channel costs little CPU.
type progress struct {
	stop chan struct{}
	done sync.WaitGroup
}

// hotFor is how long the poller keeps polling without sleeping after it last
// saw the channel's counters change.
const hotFor = 20 * time.Millisecond

func startProgress(poll func() error, activity func() int64, b Backoff) *progress {
	p := &progress{stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		runtime.LockOSThread() // a thread of its own, like a C progress thread
		defer runtime.UnlockOSThread()
		last, busyAt, naps := activity(), time.Now(), 0
		for {
			if poll() != nil {
				return
			}
			if now := activity(); now != last {
				last, busyAt, naps = now, time.Now(), 0
			}
			if time.Since(busyAt) < hotFor {
				select {
				case <-p.stop:
					return
				default: // no Gosched: rescheduling a locked goroutine costs ~20µs
					continue
				}
			}
			naps++
			t := time.NewTimer(b.Delay(b.Yields + naps))
			select {
			case <-p.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// Stop ends the poller and waits for it.
func (p *progress) Stop() {
	close(p.stop)
	p.done.Wait()
}
