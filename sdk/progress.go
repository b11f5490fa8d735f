package mpichan

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// progress keeps a host rank's windows serving one-sided operations while
// its user code computes. MPICH, Open MPI over networks (osc ucx, pt2pt)
// and Open MPI's osc rdma complete a passive-target operation only when the
// target calls into MPI; without this, a host that computes for a second
// stalls every other rank for that second.
//
// The poller never spins: between two polls it sleeps at least hotPause,
// so it costs a small share of a core even while the channel is busy
// (a hot loop cost a whole core, 145k-430k polls in a few seconds, and on
// an oversubscribed node it took that core from the ranks it served). Once
// the channel has been quiet for a while the pause doubles up to
// Backoff.Max, so an idle channel costs almost nothing.
//
// Each poll is the given poll (a one-sided call on the host's own window)
// followed by MPI_Test on a receive that never completes (rma.Wake); under
// Open MPI the Test alone. Open MPI's osc ucx serves incoming one-sided
// operations from opal_progress, which MPI_Test on an incomplete request
// calls every time but a one-sided call on the own window and MPI_Iprobe
// only every 100th or so: with those alone, a host computing 1.5 s kept 50
// remote fetch-and-ops waiting 1.5 s across the test hosts; with the Test,
// 0.03-0.06 s (docs/MPI.md).
type progress struct {
	stop  chan struct{}
	done  sync.WaitGroup
	polls atomic.Int64
	wake  *rma.Wake // nil if MPI refused the receive: polls without it
}

// hotPause is the pause between polls while the channel is busy. The
// poller's thread has a timer slack of 1µs (preciseNaps), so the pause
// lasts about that long on an idle core; a poller makes at most 1/hotPause
// polls a second.
// Measured across hosts (MPICH over TCP, docs/MPI.md): no slower per
// operation than polling without pause, with 15-30x fewer polls.
const hotPause = 20 * time.Microsecond

// hotFor is how long the poller keeps to hotPause after it last saw the
// channel's counters change.
const hotFor = 20 * time.Millisecond

func startProgress(poll func() error, activity func() int64, b Backoff) *progress {
	p := &progress{stop: make(chan struct{})}
	p.wake, _ = rma.OpenWake()
	if p.wake != nil && openMPI() {
		poll = p.wake.Test
	} else if p.wake != nil {
		self := poll
		poll = func() error {
			if err := self(); err != nil {
				return err
			}
			return p.wake.Test()
		}
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		// A thread of its own, like a C progress thread; never unlocked, so
		// the thread, whose timer slack preciseNaps changed, ends with it.
		runtime.LockOSThread()
		preciseNaps()
		last, busyAt, naps := activity(), time.Now(), 0
		for {
			if poll() != nil {
				return
			}
			p.polls.Add(1)
			if now := activity(); now != last {
				last, busyAt, naps = now, time.Now(), 0
			}
			pause := hotPause
			if time.Since(busyAt) >= hotFor {
				naps++
				pause = max(hotPause, b.Delay(b.Yields+naps))
			}
			select {
			case <-p.stop:
				return
			default:
			}
			nap(pause)
		}
	}()
	return p
}

// Polls is how many times the poller has called into MPI (0 for none).
func (p *progress) Polls() int64 {
	if p == nil {
		return 0
	}
	return p.polls.Load()
}

// Stop ends the poller, waits for it, and cancels its receive.
func (p *progress) Stop() {
	close(p.stop)
	p.done.Wait()
	if p.wake != nil {
		p.wake.Close()
	}
}
