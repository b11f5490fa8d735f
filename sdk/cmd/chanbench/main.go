// Command chanbench measures RemoteChannel against the two-sided task farm
// a user could write instead, under mpirun, in one run:
//
//	mpirun -n 4 chanbench [-reps 5] [-sizes 64,8192,1048576]
//
// ratio: rank 0 hands out n messages of 8 float64 (and of 8 KiB), as a
// channel (rank 0 hosts, claims and puts; the others range over All) and as
// a gompi Send/Recv farm (a worker asks, rank 0 answers, 1 or 2 tasks in
// flight per worker), in rotating order, every message checked and counted
// exactly once; it prints each run and the median and range of channel ÷
// best farm (lines starting RATIO).
//
// sweep (-sizes): the same for each message size (lines starting SWEEP),
// which examples/cmd/benchplot draws.
//
// latency: a two-sided 64-byte half round trip, a raw MPI_Fetch_and_op
// with its flush, and a channel put+take of one message, on rank 1 against
// rank 0 (line starting LATENCY).
//
// bandwidth: 1 MiB messages through a channel from rank 0 (its host) to
// rank 1, read in place (Views) and copied out (All), against raw MPI_Put
// + flush of 1 MiB from rank 1 into rank 0's window, the other ranks idle,
// in rounds (lines starting BANDWIDTH; the last has the medians). `make
// bench` runs it as bandwidth is measured (osu_put_bw): 2 ranks, one per
// core (-only bandwidth under mpirun --bind-to core -n 2).
//
// stall: how long 200 put+take on rank 1 wait while the host computes,
// with and without the host's progress goroutine.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	mpi "github.com/sbromberger/gompi"
)

type config struct {
	n, nbig, reps, rtt, bwMsgs, bwCap, bwRounds, sweepReps int
	sizes                                                  []int
	sections                                               map[string]bool
	busy                                                   time.Duration
	profile                                                string
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 20000, "messages of 8 float64 per ratio run")
	// 20,000 messages of 8 KiB, as many as of 8 float64: a run of 2,000
	// lasted 9-40 ms under MPICH on one node, less than the scheduler's
	// slices on 4 ranks on 2 cores, and its ratio measured the scheduler
	// (docs/PERFORMANCE.md, "How the figures are measured").
	flag.IntVar(&c.nbig, "nbig", 20000, "messages of 8 KiB per ratio run")
	flag.IntVar(&c.reps, "reps", 5, "runs of each contender (ratio); odd, for a true median")
	flag.IntVar(&c.rtt, "rtt", 20000, "iterations of the latency runs")
	flag.IntVar(&c.bwCap, "bw-cap", 4, "capacity of the channel that the bandwidth run reads with Views")
	flag.IntVar(&c.bwRounds, "bw-rounds", 5, "rounds of the bandwidth run (odd, for a true median)")
	flag.IntVar(&c.bwMsgs, "bw", 2000, "1 MiB messages in the bandwidth run (200 left the runs dominated by first touches of the 16 MiB window)")
	flag.IntVar(&c.sweepReps, "sweep-reps", 3, "runs of each contender per size in the sweep")
	flag.IntVar(&warmup, "warmup", 1, "untimed runs of each contender before the timed ones (ratio, sweep)")
	sizes := flag.String("sizes", "", "message sizes in bytes for the sweep (comma-separated multiples of 8)")
	only := flag.String("only", "ratio,latency,bandwidth,stall", "sections to run: ratio, sweep, latency, bandwidth, stall")
	flag.DurationVar(&c.busy, "busy", 300*time.Millisecond, "how long the host computes in the stall run")
	chans := flag.String("channels", "default", "channel variants run beside the farms: default, pN (Prefetch N), m (MPI atomics: NoShared), r (RemoteRMA), pNm, pNr, ...b (PutBatch), ...c (takers Recycle; the sweep's recycle= is variant c)")
	flag.BoolVar(&noShared, "noshared", false, "latency and bandwidth runs with MPI atomics (NoShared), as across nodes")
	flag.StringVar(&c.profile, "cpuprofile", "", "write each rank's CPU profile to this file name plus .<rank>")
	flag.Parse()
	c.sections = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		c.sections[strings.TrimSpace(s)] = true
	}
	if *sizes != "" {
		c.sections["sweep"] = true
		for _, s := range strings.Split(*sizes, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || v < 8 || v%8 != 0 {
				fmt.Fprintf(os.Stderr, "chanbench: -sizes: %q is not a positive multiple of 8\n", s)
				os.Exit(2)
			}
			c.sizes = append(c.sizes, v)
		}
	}
	var err error
	if variants, err = parseVariants(*chans); err != nil {
		fmt.Fprintln(os.Stderr, "chanbench:", err)
		os.Exit(2)
	}
	if err := mpichan.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer mpichan.Finalize()
	if mpichan.Size() < 2 {
		fmt.Fprintln(os.Stderr, "chanbench: run it under mpirun with at least 2 ranks")
		os.Exit(2)
	}
	if c.profile != "" {
		f, err := os.Create(fmt.Sprintf("%s.%d", c.profile, mpichan.Rank()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(c); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: %v\n", mpichan.Rank(), err)
		mpichan.World().Abort(1)
	}
}

func say(format string, a ...any) {
	if mpichan.Rank() == 0 {
		fmt.Printf(format, a...)
	}
}

func run(c config) error {
	world := mpichan.World()
	say("library: %s\nranks: %d, GOMAXPROCS %d\n", firstLine(mpichan.Library()), world.Size(), runtime.GOMAXPROCS(0))
	if c.sections["ratio"] {
		if _, err := compare(world, "8 float64", c.n, 8, c.reps); err != nil {
			return err
		}
		if _, err := compare(world, "8 KiB", c.nbig, 1024, c.reps); err != nil {
			return err
		}
	}
	if c.sections["sweep"] {
		for _, size := range c.sizes {
			// As many messages as 64 MiB hold, between 50 and 20,000.
			n := min(20000, max(50, (64<<20)/size))
			r, err := compare(world, fmt.Sprintf("%d B", size), n, size/8, c.sweepReps)
			if err != nil {
				return err
			}
			line := fmt.Sprintf("SWEEP size=%d ranks=%d n=%d farm1=%.0f farm2=%.0f channel=%.0f", size, world.Size(), n, r[0], r[1], r[2])
			for k, v := range variants[1:] {
				if v == (variant{recycle: true}) {
					line += fmt.Sprintf(" recycle=%.0f", r[3+k])
				}
			}
			say("%s\n", line)
		}
	}
	if c.sections["latency"] {
		half, err := halfRoundTrip(world, c.rtt)
		if err != nil {
			return err
		}
		pt, fao, med, err := latency(world, c.rtt)
		if err != nil {
			return err
		}
		say("LATENCY two-sided 64 B half round trip %.3f us, raw MPI_Fetch_and_op %.3f us, put+take %.3f us: put+take/fetch-and-op %.1fx (median of blocks %.1fx; target <= 8x)\n",
			half, fao, pt, pt/fao, med)
	}
	if c.sections["bandwidth"] {
		if err := bandwidth(world, c); err != nil {
			return err
		}
	}
	if c.sections["stall"] {
		return stall(world, c.busy)
	}
	return nil
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' || r == ',' {
			return s[:i]
		}
	}
	return s
}

var _ = mpi.OpMax
