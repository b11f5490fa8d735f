package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
)

func main() {
	mpichan.Init()
	ctx := context.Background()
	n, _ := strconv.Atoi(os.Args[1])
	const elems = 1024
	for rep := 0; rep < 3; rep++ {
		ch, err := mpichan.New[[]float64](mpichan.World(), mpichan.Options{FrameSize: 8192, Capacity: 64})
		if err != nil {
			panic(err)
		}
		mpichan.World().Barrier()
		t := time.Now()
		var first, last, end time.Duration
		got := 0
		if mpichan.Rank() == 0 {
			ch.Claim(n)
			v := make([]float64, elems)
			for i := range n {
				v[0] = float64(i)
				ch.Put(ctx, v)
				if i == 0 {
					first = time.Since(t)
				}
			}
			last = time.Since(t)
		} else {
			for _, err := range ch.All(ctx) {
				if err != nil {
					panic(err)
				}
				if got == 0 {
					first = time.Since(t)
				}
				got++
				last = time.Since(t)
			}
		}
		end = time.Since(t)
		if os.Getenv("FREEEND") != "" {
			ch.Free(ctx)
		} else {
			mpichan.World().Barrier()
		}
		all := time.Since(t)
		fmt.Fprintf(os.Stderr, "rep %d rank %d: got %d first %v last %v end %v barrier %v\n", rep, mpichan.Rank(), got, first.Round(time.Microsecond), last.Round(time.Microsecond), end.Round(time.Microsecond), all.Round(time.Microsecond))
		ch.Free(ctx)
	}
	mpichan.Exit(0)
}
