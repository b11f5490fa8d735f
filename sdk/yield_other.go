//go:build !linux

package mpichan

import (
	"runtime"
	"time"
)

// osYield yields to other goroutines; only Linux gets sched_yield.
func osYield() { runtime.Gosched() }

// nap sleeps for d.
func nap(d time.Duration) { time.Sleep(d) }

// preciseNaps does nothing outside Linux.
func preciseNaps() {}
