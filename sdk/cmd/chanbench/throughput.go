package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	mpi "github.com/sbromberger/gompi"
)

// contender is one way of moving n messages of elems float64 from rank 0
// to the other ranks; it returns the seconds from the first barrier to the
// last, measured on every rank alike.
type contender struct {
	name string
	run  func(world *mpi.Communicator, n, elems int, seen []int64) error
}

func contenders(opt func(bytes int) mpichan.Options) []contender {
	return []contender{
		{"farm depth 1", func(w *mpi.Communicator, n, elems int, seen []int64) error {
			_, err := farm(w, n, elems, 1, seen)
			return err
		}},
		{"farm depth 2", func(w *mpi.Communicator, n, elems int, seen []int64) error {
			_, err := farm(w, n, elems, 2, seen)
			return err
		}},
		{"channel", func(w *mpi.Communicator, n, elems int, seen []int64) error {
			return channelRun(w, n, elems, opt(elems*8), seen)
		}},
	}
}

// benchOptions are the options the benchmark's channels use: the defaults,
// with frames large enough for one message and at most 16 MiB of slots.
func benchOptions(bytes int) mpichan.Options {
	frame := max(256, (bytes+63)&^63)
	return mpichan.Options{FrameSize: frame, Capacity: min(64, max(4, (16<<20)/frame))}
}

// channelRun is the code a user writes: rank 0 hosts, claims and puts;
// the others range over All.
func channelRun(world *mpi.Communicator, n, elems int, o mpichan.Options, seen []int64) error {
	ctx := context.Background()
	ch, err := mpichan.New[[]float64](world, o)
	if err != nil {
		return err
	}
	world.Barrier()
	if world.Rank() == 0 {
		if err := ch.Claim(n); err != nil {
			return err
		}
		v := make([]float64, elems)
		for i := range n {
			fill(v, i)
			if err := ch.Put(ctx, v); err != nil {
				return err
			}
		}
	} else {
		for v, err := range ch.All(ctx) {
			if err != nil {
				return err
			}
			if err := verify(v, elems, seen); err != nil {
				return err
			}
		}
	}
	world.Barrier()
	return ch.Free(context.Background())
}

// timed runs c once between barriers and checks every message arrived
// exactly once; it returns messages per second.
func timed(world *mpi.Communicator, c contender, n, elems int) (float64, error) {
	seen := make([]int64, n)
	world.Barrier()
	t := time.Now()
	if err := c.run(world, n, elems, seen); err != nil {
		return 0, fmt.Errorf("%s: %w", c.name, err)
	}
	world.Barrier()
	secs := time.Since(t).Seconds()
	if err := exactlyOnce(world, seen); err != nil {
		return 0, fmt.Errorf("%s: %w", c.name, err)
	}
	// Rank 0's clock decides, for every rank alike.
	out := []float64{secs}
	world.BcastFloat64s(out, 0)
	return float64(n) / out[0], nil
}

// compare runs the farms and the channel reps times, in rotating order so
// that drift in the machine's speed hits all alike, and prints each run and
// the median and range of channel ÷ best farm.
func compare(world *mpi.Communicator, label string, n, elems, reps int) ([]float64, error) {
	cs := contenders(benchOptions)
	rates := make([][]float64, len(cs))
	var ratios []float64
	for rep := range reps {
		for i := range cs {
			k := (i + rep) % len(cs)
			r, err := timed(world, cs[k], n, elems)
			if err != nil {
				return nil, err
			}
			rates[k] = append(rates[k], r)
		}
		farm := max(rates[0][rep], rates[1][rep])
		ratios = append(ratios, rates[2][rep]/farm)
		say("%s run %d: farm depth 1 %.0f msg/s, farm depth 2 %.0f msg/s, channel %.0f msg/s: channel/farm %.2fx\n",
			label, rep+1, rates[0][rep], rates[1][rep], rates[2][rep], ratios[rep])
	}
	lo, med, hi := spread(ratios)
	say("RATIO %s (%d x %d B, %d ranks): channel/best farm median %.2fx, range %.2f-%.2fx over %d runs\n",
		label, n, elems*8, world.Size(), med, lo, hi, reps)
	return []float64{median(rates[0]), median(rates[1]), median(rates[2])}, nil
}

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
