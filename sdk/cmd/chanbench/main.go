// Command chanbench measures RemoteChannel under mpirun:
//
//	mpirun -n 4 chanbench [-n 200000] [-rtt 200000]
//
// It reports, in one run: messages/s for one producer to N-1 consumers with
// 8 x float64 messages; the round-trip latency of a put followed by a take;
// the raw latency of one MPI_Fetch_and_op (with its flush, through the same
// binding) on a window hosted by the same rank; their ratio, from the means
// and as the median of the ratios of blocks of 1,000 of each, interleaved;
// and how long a put+take stalls while the host computes, with and without
// the host's progress goroutine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/internal/rma"
	mpi "github.com/sbromberger/gompi"
)

func main() {
	msgs := flag.Int("n", 200000, "messages in the throughput run")
	rtt := flag.Int("rtt", 200000, "iterations of the latency runs")
	busy := flag.Duration("busy", 300*time.Millisecond, "how long the host computes in the stall run")
	prof := flag.String("cpuprofile", "", "write rank 1's CPU profile of the latency run to this file")
	flag.Parse()
	if err := mpichan.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer mpichan.Finalize()
	if mpichan.Size() < 2 {
		fmt.Fprintln(os.Stderr, "chanbench: run it under mpirun with at least 2 ranks")
		os.Exit(2)
	}
	profile = *prof
	if err := run(*msgs, *rtt, *busy); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: %v\n", mpichan.Rank(), err)
		mpichan.World().Abort(1)
	}
}

var profile string

func say(format string, a ...any) {
	if mpichan.Rank() == 0 {
		fmt.Printf(format, a...)
	}
}

func run(msgs, rtt int, busy time.Duration) error {
	world := mpichan.World()
	rank, size := mpichan.Rank(), mpichan.Size()
	ctx := context.Background()
	say("library: %s\nranks: %d, GOMAXPROCS %d\n", firstLine(mpichan.Library()), size, runtime.GOMAXPROCS(0))

	// Throughput: rank 0 hosts and produces, the others consume.
	ch, err := mpichan.New[[]float64](world, mpichan.Options{Capacity: 256, FrameSize: 64})
	if err != nil {
		return err
	}
	world.Barrier()
	start := time.Now()
	if rank == 0 {
		ch.Claim(msgs)
		v := make([]float64, 8)
		for i := range msgs {
			v[0] = float64(i)
			if err := ch.Put(ctx, v); err != nil {
				return err
			}
		}
	} else {
		for _, err := range ch.All(ctx) {
			if err != nil {
				return err
			}
		}
	}
	world.Barrier()
	secs := time.Since(start).Seconds()
	say("throughput: 1 producer -> %d consumers, %d x 8 float64: %.0f messages/s (%.3fs)\n", size-1, msgs, float64(msgs)/secs, secs)

	// Latency: rank 1 puts then takes on the channel hosted by rank 0,
	// and times a raw fetch-and-op on the same host in the same run.
	win, err := rawWindow(world)
	if err != nil {
		return err
	}
	// Ranks other than 1 wait on a channel hosted by the last rank, with
	// long naps, so rank 1 has a core to itself. Rank 0, the target, waits
	// inside MPI instead when the library needs the target in MPI for a
	// raw fetch-and-op to complete (MPICH; Open MPI on one node does not).
	done, err := mpichan.New[int](world, mpichan.Options{Capacity: 8, FrameSize: 8, Host: size - 1,
		Backoff: mpichan.Backoff{Yields: 1, Min: time.Millisecond, Max: 20 * time.Millisecond}})
	if err != nil {
		return err
	}
	targetInMPI := !strings.Contains(mpichan.Library(), "Open MPI")
	waiters := size - 2
	if !targetInMPI {
		waiters++
	}
	var pt, fao, median float64
	switch {
	case rank == 0 && targetInMPI:
		world.Barrier()
	case rank != 1:
		if _, _, err := done.Take(ctx); err != nil {
			return err
		}
		world.Barrier()
	default:
		v := []float64{1, 2, 3, 4, 5, 6, 7, 8}
		if profile != "" {
			f, err := os.Create(profile)
			if err != nil {
				return err
			}
			pprof.StartCPUProfile(f)
		}
		// Interleaved blocks, so that drift in the machine's speed hits
		// both measurements alike; the first warmup blocks do not count.
		// Besides the means, the median of the blocks' ratios, which a
		// block disturbed by another process (4 ranks share 2 cores here)
		// cannot move.
		const block, warmup = 1000, 10
		var ptSum, faoSum time.Duration
		var ratios []float64
		for b := -warmup; b < (rtt+block-1)/block; b++ {
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
		median = ratios[len(ratios)/2]
		n := float64(block * ((rtt + block - 1) / block))
		pt, fao = ptSum.Seconds()/n, faoSum.Seconds()/n
		if profile != "" {
			pprof.StopCPUProfile()
		}
		for range waiters {
			if err := done.Put(ctx, 1); err != nil {
				return err
			}
		}
		world.Barrier()
	}
	lat := []float64{pt, fao, median}
	out := make([]float64, 3)
	if err := world.AllreduceFloat64s(out, lat, mpi.OpMax, 0); err != nil {
		return err
	}
	say("latency: put+take %.3f us, raw MPI_Fetch_and_op %.3f us, ratio %.1fx; median of %d blocks %.1fx (target <= 8x)\n",
		out[0]*1e6, out[1]*1e6, out[0]/out[1], (rtt+999)/1000, out[2])
	if err := errors.Join(ch.Free(ctx), win.UnlockAll(), win.Free()); err != nil {
		return err
	}

	// Stall: the host computes while rank 1 does put+take, with and
	// without the progress goroutine; ranks 2.. wait on the done channel.
	for _, noProgress := range []bool{false, true} {
		c, err := mpichan.New[[]float64](world, mpichan.Options{Capacity: 64, FrameSize: 64, NoProgress: noProgress})
		if err != nil {
			return err
		}
		world.Barrier()
		var worst float64
		t := time.Now()
		switch rank {
		case 0:
			x := 0.0
			for time.Since(t) < busy {
				for i := range 1000 {
					x += float64(i)
				}
			}
			_ = x
		case 1:
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
			for range size - 2 {
				if err := done.Put(ctx, 1); err != nil {
					return err
				}
			}
		default:
			if _, _, err := done.Take(ctx); err != nil {
				return err
			}
		}
		res := make([]float64, 1)
		world.AllreduceFloat64s(res, []float64{worst}, mpi.OpMax, 0)
		say("host busy %v, progress goroutine %-3s: 200 put+take on rank 1 took %.3fs\n", busy, map[bool]string{false: "on", true: "off"}[noProgress], res[0])
		if err := c.Free(ctx); err != nil {
			return err
		}
	}
	return done.Free(ctx)
}

func rawWindow(world *mpi.Communicator) (*rma.Win, error) {
	c, err := rma.Dup(world)
	if err != nil {
		return nil, err
	}
	size := 0
	if c.Rank() == 0 {
		size = 64
	}
	w, err := rma.Allocate(c, size)
	if err != nil {
		return nil, err
	}
	return w, w.LockAll()
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' || r == ',' {
			return s[:i]
		}
	}
	return s
}
