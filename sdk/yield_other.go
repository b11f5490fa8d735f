//go:build !linux

package mpichan

import "runtime"

// osYield yields to other goroutines; only Linux gets sched_yield.
func osYield() { runtime.Gosched() }
