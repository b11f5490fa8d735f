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
