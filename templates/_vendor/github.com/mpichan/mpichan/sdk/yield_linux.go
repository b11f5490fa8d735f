package mpichan

import "syscall"

// osYield gives this thread's core to another runnable process, if any
// (sched_yield): on an oversubscribed node the rank we wait for may need it.
func osYield() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
