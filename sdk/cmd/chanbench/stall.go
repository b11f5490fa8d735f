package main

import (
	"context"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	mpi "github.com/sbromberger/gompi"
)

// stall: the host computes while rank 1 does 200 put+take, with and
// without the progress goroutine; the other ranks wait.
func stall(world *mpi.Communicator, busy time.Duration) error {
	ctx := context.Background()
	for _, noProgress := range []bool{false, true} {
		c, err := mpichan.New[[]float64](world, mpichan.Options{Capacity: 64, FrameSize: 64, NoProgress: noProgress})
		if err != nil {
			return err
		}
		var worst float64
		err = idle(world, false, func() error {
			t := time.Now()
			v := make([]float64, 8)
			for range 200 {
				if err := c.Put(ctx, v); err != nil {
					return err
				}
				if _, _, err := c.Take(ctx); err != nil {
					return err
				}
			}
			worst = time.Since(t).Seconds()
			return nil
		}, func() {
			t := time.Now()
			x := 0.0
			for time.Since(t) < busy {
				for i := range 1000 {
					x += float64(i)
				}
			}
			_ = x
		})
		if err != nil {
			return err
		}
		say("host busy %v, progress goroutine %-3s: 200 put+take on rank 1 took %.3fs\n", busy, map[bool]string{false: "on", true: "off"}[noProgress], allMax(world, worst))
		if err := c.Free(context.Background()); err != nil {
			return err
		}
	}
	return nil
}
