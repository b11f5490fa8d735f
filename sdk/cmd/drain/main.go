// Command drain shows how a channel's host waits at the end of its part
// changes how fast its last messages reach the other ranks. Rank 0 hosts
// a channel and puts n messages of 8 KiB; the other ranks range over All.
// Then every rank either enters gompi's blocking Barrier or calls Free
// (-end barrier|free). Each rank prints, per repetition, when it put or
// took its first and last message, when its loop ended and when the
// barrier or Free returned, from a common start.
//
//	mpirun -n 3 drain -n 2000 -end barrier
//
// Across 3 test hosts (sdk/mpitest/hosts) under Open MPI, a host in the
// blocking Barrier starved its relay server: the takers' loops ended
// 10-240 ms after the host's last put, against 1-12 ms behind Free
// (doc.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
)

func main() {
	n := flag.Int("n", 2000, "messages of 8 KiB per repetition")
	reps := flag.Int("reps", 3, "repetitions")
	end := flag.String("end", "barrier", "how every rank ends its part: barrier (gompi's blocking Barrier) or free (Free)")
	flag.Parse()
	if *end != "barrier" && *end != "free" {
		fmt.Fprintf(os.Stderr, "drain: -end %q: want barrier or free\n", *end)
		os.Exit(2)
	}
	if err := mpichan.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer mpichan.Finalize()
	for rep := range *reps {
		if err := run(rep, *n, *end); err != nil {
			fmt.Fprintf(os.Stderr, "rank %d: %v\n", mpichan.Rank(), err)
			mpichan.World().Abort(1)
		}
	}
}

func run(rep, n int, end string) error {
	ctx := context.Background()
	world := mpichan.World()
	ch, err := mpichan.New[[]float64](world, mpichan.Options{FrameSize: 8192, Capacity: 64})
	if err != nil {
		return err
	}
	world.Barrier()
	start := time.Now()
	var first, last time.Duration
	count := 0
	mark := func() {
		if count == 0 {
			first = time.Since(start)
		}
		count++
		last = time.Since(start)
	}
	if world.Rank() == 0 {
		if err := ch.Claim(n); err != nil {
			return err
		}
		v := make([]float64, 1024)
		for i := range n {
			v[0] = float64(i)
			if err := ch.Put(ctx, v); err != nil {
				return err
			}
			mark()
		}
	} else {
		for _, err := range ch.All(ctx) {
			if err != nil {
				return err
			}
			mark()
		}
	}
	loop := time.Since(start)
	if end == "free" {
		err = ch.Free(ctx)
	} else {
		world.Barrier()
	}
	done := time.Since(start)
	if end == "barrier" {
		err = ch.Free(ctx)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", d.Seconds()*1e3) }
	fmt.Printf("rep %d rank %d: %d messages, first %s, last %s, loop ended %s, %s returned %s\n",
		rep, world.Rank(), count, ms(first), ms(last), ms(loop), end, ms(done))
	return err
}
