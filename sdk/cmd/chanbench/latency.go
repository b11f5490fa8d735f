package main

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/internal/rma"
	mpi "github.com/sbromberger/gompi"
)

// idle runs work on rank 1 (with rank 0 as its partner when partner is
// set) while the other ranks wait on a channel hosted by the last rank,
// with long naps, so that the ranks measured have the cores. Rank 0, the
// target of every one-sided measurement when it is not the partner, polls
// MPI (MPI_Test, as a host's progress poller does, and MPI_Iprobe) with
// 20 µs naps until rank 1 is done: a raw fetch-and-op needs the target in MPI (MPICH
// on any layout, Open MPI's osc ucx across nodes), and a blocking call
// such as MPI_Barrier there would hold MPICH's global lock against the
// host's relay server thread most of the time (put+take across 2 hosts
// then took 0.7-1.2 ms instead of 0.14-0.24 ms). Rank 0 first runs target,
// if given, while rank 1 works.
func idle(world *mpi.Communicator, partner bool, work func() error, target func()) error {
	ctx := context.Background()
	rank, size := world.Rank(), world.Size()
	done, err := mpichan.New[int](world, mpichan.Options{Capacity: 8, FrameSize: 8, Host: size - 1,
		Backoff: mpichan.Backoff{Yields: 1, Min: time.Millisecond, Max: 20 * time.Millisecond}})
	if err != nil {
		return err
	}
	const doneTag = 77 // rank 1 to a polling rank 0: work is done
	var werr error
	if rank == 0 && target != nil {
		target()
	}
	switch {
	case rank == 1:
		werr = work()
		if !partner {
			world.SendInt64(1, 0, doneTag)
		}
		for range size - 2 {
			if err := done.Put(ctx, 1); err != nil {
				return err
			}
		}
	case rank == 0 && partner:
		werr = work()
	case rank == 0:
		wake, err := rma.OpenWake() // MPI_Test runs Open MPI's whole progress engine; MPI_Iprobe rarely does
		if err != nil {
			return err
		}
		pause := syscall.NsecToTimespec(int64(20 * time.Microsecond))
		for {
			if err := wake.Test(); err != nil {
				return err
			}
			if ok, _ := world.Iprobe(1, doneTag); ok {
				world.RecvInt64(1, doneTag)
				break
			}
			syscall.Nanosleep(&pause, nil) // not time.Sleep: its timers wake an idle process no sooner than 1 ms
		}
		if err := wake.Close(); err != nil {
			return err
		}
	default:
		if _, _, err := done.Take(ctx); err != nil {
			return err
		}
	}
	world.Barrier()
	return errors.Join(werr, done.Free(context.Background()))
}

// halfRoundTrip is half the time of a 64-byte MPI_Send/MPI_Recv round trip
// between ranks 0 and 1.
func halfRoundTrip(world *mpi.Communicator, iters int) (float64, error) {
	var us float64
	err := idle(world, true, func() error {
		b := make([]byte, 64)
		other := 1 - world.Rank()
		t := time.Now()
		for range iters + 100 {
			if world.Rank() == 0 {
				world.SendBytes(b, other, 1)
				world.RecvPreallocBytes(b, other, 1)
			} else {
				world.RecvPreallocBytes(b, other, 1)
				world.SendBytes(b, other, 1)
			}
		}
		us = time.Since(t).Seconds() / float64(2*(iters+100)) * 1e6
		return nil
	}, nil)
	return allMax(world, us), err
}

// latency times, on rank 1, a Put then TryTake of one 8 x float64 message
// on a channel hosted by rank 0, and a raw MPI_Fetch_and_op + flush on a
// window hosted by rank 0, in interleaved blocks of 1,000 (the first 10
// not counted). It returns the mean put+take and fetch-and-op in µs and the
// median of the blocks' ratios, which a block disturbed by another process
// cannot move.
func latency(world *mpi.Communicator, iters int) (pt, fao, med float64, err error) {
	ctx := context.Background()
	ch, err := mpichan.New[[]float64](world, mpichan.Options{Capacity: 256, FrameSize: 64, NoShared: noShared})
	if err != nil {
		return 0, 0, 0, err
	}
	win, err := rawWindow(world, 64)
	if err != nil {
		return 0, 0, 0, err
	}
	err = idle(world, false, func() error {
		v := []float64{1, 2, 3, 4, 5, 6, 7, 8}
		// Blocks of 1,000, or of iters when fewer (-rtt, for slow networks).
		block, warmup := min(1000, max(1, iters)), 10
		if iters < 1000 {
			warmup = 1
		}
		var ptSum, faoSum time.Duration
		var ratios []float64
		blocks := (iters + block - 1) / block
		for b := -warmup; b < blocks; b++ {
			t := time.Now()
			for range block {
				if err := ch.Put(ctx, v); err != nil {
					return err
				}
				if _, _, err := ch.TryTake(); err != nil {
					return err
				}
			}
			d := time.Since(t)
			t = time.Now()
			for range block {
				if _, err := win.FetchAdd(0, 0, 1); err != nil {
					return err
				}
			}
			if f := time.Since(t); b >= 0 {
				ptSum, faoSum = ptSum+d, faoSum+f
				ratios = append(ratios, float64(d)/float64(f))
			}
		}
		slices.Sort(ratios)
		med = ratios[len(ratios)/2]
		n := float64(block * blocks)
		pt, fao = ptSum.Seconds()/n*1e6, faoSum.Seconds()/n*1e6
		return nil
	}, nil)
	err = errors.Join(err, ch.Free(context.Background()), win.UnlockAll(), win.Free())
	return allMax(world, pt), allMax(world, fao), allMax(world, med), err
}

func rawWindow(world *mpi.Communicator, bytes int) (*rma.Win, error) {
	c, err := rma.Dup(world)
	if err != nil {
		return nil, err
	}
	size := 0
	if c.Rank() == 0 {
		size = bytes
	}
	w, err := rma.Allocate(c, size)
	if err != nil {
		return nil, err
	}
	return w, w.LockAll()
}

// allMax is the largest of every rank's x (the one rank that measured).
func allMax(world *mpi.Communicator, x float64) float64 {
	out := make([]float64, 1)
	world.AllreduceFloat64s(out, []float64{x}, mpi.OpMax, 0)
	return out[0]
}
