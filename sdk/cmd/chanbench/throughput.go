package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/internal/rma"
	mpi "github.com/sbromberger/gompi"
)

// contender is one way of moving n messages of elems float64 from rank 0
// to the other ranks; it returns the seconds its messages took, from a
// barrier to a barrier (set-up such as creating a channel not counted).
type contender struct {
	name string
	run  func(world *mpi.Communicator, n, elems int, seen []int64) (float64, error)
}

// span times f between two barriers, and keeps this rank's CPU time
// during f in lastCPU. The second barrier waits without spinning (quiet):
// a rank done early must not take a core from the ranks still at work,
// nor, on a channel's host, from its relay server (a blocking MPI_Barrier
// there spins inside MPI and starves the server: across 3 test hosts
// under Open MPI the takers' loops ended 10-240 ms after the host's last
// put, 1-12 ms with the host waiting in Free instead; sdk/cmd/drain).
func span(world *mpi.Communicator, f func() error) (float64, error) {
	world.Barrier()
	t, cpu := time.Now(), cpuSeconds()
	err := f()
	lastCPU = cpuSeconds() - cpu
	if qerr := quiet(world); err == nil {
		err = qerr
	}
	return time.Since(t).Seconds(), err
}

// quietComm is the communicator of quiet's barriers, made on first use.
var quietComm *rma.Comm

// quiet is a barrier over world that waits in short naps between tests
// (MPI_Ibarrier, MPI_Test), not in a spin.
func quiet(world *mpi.Communicator) error {
	if quietComm == nil {
		c, err := rma.Dup(world)
		if err != nil {
			return err
		}
		quietComm = c
	}
	done, err := quietComm.Barrier()
	if err != nil {
		return err
	}
	for {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		// A nap of the thread: a Go timer would wake an idle process up
		// to a millisecond late, and add that to the run's time.
		ts := syscall.NsecToTimespec(20e3)
		syscall.Nanosleep(&ts, nil)
	}
}

// lastCPU is the CPU seconds (user and system, every thread) this rank
// spent in the last span's f.
var lastCPU float64

// cpuSeconds is the CPU time this process has used so far.
func cpuSeconds() float64 {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano()).Seconds()
}

// variant is a channel configuration under test: Options.Prefetch (0:
// the default), Options.NoShared and Options.RemoteRMA.
type variant struct {
	prefetch  int
	noShared  bool
	remoteRMA bool
	batch     bool // rank 0 puts with PutBatch, 16 at a time
	recycle   bool // the takers give each message back with Recycle
}

func (v variant) String() string {
	s := "channel"
	if v.prefetch != 0 {
		s += fmt.Sprintf(" prefetch %d", v.prefetch)
	}
	if v.noShared {
		s += " MPI atomics"
	}
	if v.remoteRMA {
		s += " RemoteRMA"
	}
	if v.batch {
		s += " PutBatch"
	}
	if v.recycle {
		s += " Recycle"
	}
	return s
}

// parseVariants reads -channels: specs like "default", "p4" (prefetch 4),
// "m" or "p4m" (MPI atomics), "r" or "p4r" (RemoteRMA: MPI atomics across
// nodes instead of the relay), with a "b" at the end for PutBatch ("b",
// "p4mb", "rb"), then a "c" for takers that Recycle ("c", "p4bc").
func parseVariants(spec string) ([]variant, error) {
	var vs []variant
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		var v variant
		if f != "default" {
			v.recycle = strings.HasSuffix(f, "c")
			f = strings.TrimSuffix(f, "c")
			v.batch = strings.HasSuffix(f, "b")
			f = strings.TrimSuffix(f, "b")
			v.noShared = strings.HasSuffix(f, "m")
			f = strings.TrimSuffix(f, "m")
			v.remoteRMA = strings.HasSuffix(f, "r")
			f = strings.TrimSuffix(f, "r")
			if f != "" {
				p, err := strconv.Atoi(strings.TrimPrefix(f, "p"))
				if err != nil || !strings.HasPrefix(f, "p") || p < 1 {
					return nil, fmt.Errorf("-channels: bad spec %q (want default, pN, m, r, pNm, pNr, pNrm, each optionally followed by b, then c)", f)
				}
				v.prefetch = p
			}
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// noShared is -noshared.
var noShared bool

// variants are the channel configurations -channels names.
var variants = []variant{{}}

// contenders are the two farms, then a channel per variant.
func contenders() []contender {
	cs := []contender{
		{"farm depth 1", func(w *mpi.Communicator, n, elems int, seen []int64) (float64, error) {
			return span(w, func() error { _, err := farm(w, n, elems, 1, seen); return err })
		}},
		{"farm depth 2", func(w *mpi.Communicator, n, elems int, seen []int64) (float64, error) {
			return span(w, func() error { _, err := farm(w, n, elems, 2, seen); return err })
		}},
	}
	for _, v := range variants {
		cs = append(cs, contender{v.String(), func(w *mpi.Communicator, n, elems int, seen []int64) (float64, error) {
			return channelRun(w, n, elems, v, seen)
		}})
	}
	return cs
}

// options are the options the benchmark's channels use: the defaults,
// with frames large enough for one message and at most 16 MiB of slots.
func (v variant) options(bytes int) mpichan.Options {
	frame := max(256, (bytes+63)&^63)
	return mpichan.Options{FrameSize: frame, Capacity: min(64, max(4, (16<<20)/frame)), Prefetch: v.prefetch, NoShared: v.noShared, RemoteRMA: v.remoteRMA}
}

// channelRun is the code a user writes: rank 0 hosts, claims and puts;
// the others range over All (and, in variant c, Recycle each message).
func channelRun(world *mpi.Communicator, n, elems int, v variant, seen []int64) (float64, error) {
	ctx := context.Background()
	ch, err := mpichan.New[[]float64](world, v.options(elems*8))
	if err != nil {
		return 0, err
	}
	secs, err := span(world, func() error {
		if world.Rank() == 0 {
			if err := ch.Claim(n); err != nil {
				return err
			}
			return puts(ctx, ch, n, elems, v.batch)
		}
		for msg, err := range ch.All(ctx) {
			if err != nil {
				return err
			}
			if err := verify(msg, elems, seen); err != nil {
				return err
			}
			if v.recycle {
				ch.Recycle(msg)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	sum := []int64{0}
	world.ReduceInt64s(sum, []int64{ch.Stats().Requests}, mpi.OpSum, 0)
	lastRequests = float64(sum[0]) / float64(n)
	return secs, ch.Free(ctx)
}

// warmup is the untimed runs of each contender before compare's timed
// ones (-warmup).
var warmup = 1

// lastRequests is the relay requests (round trips) per message of the
// last channel run, over all ranks (on rank 0).
var lastRequests float64

// puts puts messages 0..n-1 with Put, or with PutBatch 16 at a time.
func puts(ctx context.Context, ch *mpichan.Channel[[]float64], n, elems int, batch bool) error {
	if !batch {
		v := make([]float64, elems)
		for i := range n {
			fill(v, i)
			if err := ch.Put(ctx, v); err != nil {
				return err
			}
		}
		return nil
	}
	group := make([][]float64, 16)
	for i := range group {
		group[i] = make([]float64, elems)
	}
	for i := 0; i < n; i += len(group) {
		g := group[:min(len(group), n-i)]
		for j := range g {
			fill(g[j], i+j)
		}
		if _, err := ch.PutBatch(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// timed runs c once and checks every message arrived exactly once; it
// returns messages per second, and the CPU time all ranks spent per
// message in µs (a farm's blocking receives may spin: theirs counts too).
func timed(world *mpi.Communicator, c contender, n, elems int) (rate, cpu float64, err error) {
	seen := make([]int64, n)
	secs, err := c.run(world, n, elems, seen)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", c.name, err)
	}
	if err := exactlyOnce(world, seen); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", c.name, err)
	}
	// Rank 0's clock decides, for every rank alike.
	out := []float64{secs, 0}
	sum := []float64{0}
	world.ReduceFloat64s(sum, []float64{lastCPU}, mpi.OpSum, 0)
	out[1] = sum[0]
	world.BcastFloat64s(out, 0)
	return float64(n) / out[0], out[1] / float64(n) * 1e6, nil
}

// compare runs the farms and the channels reps times, in rotating order
// so that drift in the machine's speed hits all alike, and prints each run
// and, per channel, the median and range of channel ÷ best farm in the same
// run. It returns the median rate of each contender. Each contender first
// runs warmup times untimed: a process's first run of a contender pays
// for things later runs do not (MPI's connections and buffers between a
// pair of ranks, the Go heap's first growth), and it paid them in whichever
// contender came first.
func compare(world *mpi.Communicator, label string, n, elems, reps int) ([]float64, error) {
	cs := contenders()
	for range warmup {
		for _, c := range cs {
			if _, _, err := timed(world, c, n, elems); err != nil {
				return nil, err
			}
		}
	}
	rates := make([][]float64, len(cs))
	ratios := make([][]float64, len(cs))
	reqs := make([][]float64, len(cs))
	cpus := make([][]float64, len(cs))
	for rep := range reps {
		for i := range cs {
			k := (i + rep) % len(cs)
			lastRequests = 0
			r, cpu, err := timed(world, cs[k], n, elems)
			if err != nil {
				return nil, err
			}
			rates[k] = append(rates[k], r)
			reqs[k] = append(reqs[k], lastRequests)
			cpus[k] = append(cpus[k], cpu)
		}
		line := fmt.Sprintf("%s run %d:", label, rep+1)
		farm := max(rates[0][rep], rates[1][rep])
		for k, c := range cs {
			line += fmt.Sprintf(" %s %.0f msg/s", c.name, rates[k][rep])
			if k >= 2 {
				ratios[k] = append(ratios[k], rates[k][rep]/farm)
				line += fmt.Sprintf(" (%.2fx)", rates[k][rep]/farm)
				if reqs[k][rep] > 0 {
					line += fmt.Sprintf(" [%.3f relay requests/msg]", reqs[k][rep])
				}
			}
			line += ";"
		}
		line = strings.TrimSuffix(line, ";") + " [cpu µs/msg, all ranks:"
		for k := range cs {
			line += fmt.Sprintf(" %.1f", cpus[k][rep])
		}
		say("%s]\n", line)
	}
	for k := 2; k < len(cs); k++ {
		lo, med, hi := spread(ratios[k])
		say("RATIO %s (%d x %d B, %d ranks), %s/best farm: median %.2fx, range %.2f-%.2fx over %d runs; CPU µs/msg, all ranks, median: farms %.1f, %.1f, %s %.1f\n",
			label, n, elems*8, world.Size(), cs[k].name, med, lo, hi, reps, median(cpus[0]), median(cpus[1]), cs[k].name, median(cpus[k]))
	}
	meds := make([]float64, len(cs))
	for k := range cs {
		meds[k] = median(rates[k])
	}
	return meds, nil
}

// median is the middle of v (the upper one of an even count).
func median(v []float64) float64 {
	_, m, _ := spread(v)
	return m
}

// spread is the minimum, median and maximum of v.
func spread(v []float64) (lo, med, hi float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}
