package mpichan

import (
	"syscall"
	"time"
)

// osYield gives this thread's core to another runnable process, if any
// (sched_yield): on an oversubscribed node the rank we wait for may need it.
func osYield() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }

// nap sleeps this thread for d with nanosleep: the Go runtime's own timers
// wake a sleeping goroutine no sooner than 1 ms when the process is
// otherwise idle (its netpoller waits in whole milliseconds).
func nap(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Nanosleep(&ts, nil)
}

// preciseNaps makes this thread's naps end on time: Linux lets a sleeping
// thread wake up to its timer slack (50µs by default) late, which would
// triple a 20µs nap. It is per thread (prctl PR_SET_TIMERSLACK).
func preciseNaps() { syscall.Syscall(syscall.SYS_PRCTL, 29 /* PR_SET_TIMERSLACK */, 1000, 0) }
