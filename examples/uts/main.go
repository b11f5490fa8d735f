// Command uts counts the nodes of an unbalanced tree over all ranks of an
// MPI job, each expanded node a task that makes tasks on one channel, and
// checks the counts against the published ones. It is the Unbalanced Tree
// Search benchmark of Olivier and others ("UTS: An Unbalanced Tree Search
// Benchmark", LCPC 2006): a tree that exists only as a rule for how many
// children each node has, drawn from a splittable SHA-1 random stream.
// Nothing is known about a subtree until it is expanded, so the work
// cannot be split up front.
//
//	mpirun -n 4 ./uts -tree T1
//	./uts -tree T1 -seq
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mpichan/mpichan/sdk/jobkit"
)

const about = `Counts the nodes of one of the UTS benchmark's sample trees (default, T1,
T3, T5) on every rank, and checks the counts against the published ones.
-seq traverses the tree in this one process, without MPI: the baseline.`

// config is the command line.
type config struct {
	tree  string
	seq   bool
	chunk int
	poll  int
}

func main() {
	var cfg config
	name := filepath.Base(os.Args[0])
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&cfg.tree, "tree", "default", "the sample `tree`: "+sampleNames())
	fs.BoolVar(&cfg.seq, "seq", false, "traverse in this process alone, without MPI (the baseline)")
	fs.IntVar(&cfg.chunk, "chunk", defaultChunk, "nodes a message carries at most")
	fs.IntVar(&cfg.poll, "poll", defaultPoll, "nodes a rank expands between two looks at the channel's state (at least)")
	jobkit.ParseFlags(fs, about, os.Args[1:], func() error { return cfg.check() }) // cfg as parsed, not a copy from before
	s, _ := lookup(cfg.tree)
	if cfg.seq {
		start := time.Now()
		c := s.expand([]node{s.root()})
		if err := report(os.Stdout, cfg.tree, s, c, 0, 1, time.Since(start)); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		return
	}
	jobkit.Main(name, func(ctx context.Context) error { return run(ctx, cfg, s) })
}

func (c config) check() error {
	if _, err := lookup(c.tree); err != nil {
		return err
	}
	if c.chunk < 1 || c.chunk > maxChunk {
		return fmt.Errorf("-chunk %d: must be between 1 and %d", c.chunk, maxChunk)
	}
	if c.poll < 1 || c.poll > maxPoll {
		return fmt.Errorf("-poll %d: must be between 1 and %d", c.poll, maxPoll)
	}
	return nil
}

// report prints the benchmark's one line and checks the counts. A
// parallel run (messages > 0) adds the messages taken, the nodes each
// carried on average and the messages taken per second.
func report(w io.Writer, name string, s sample, c counts, messages int64, ranks int, took time.Duration) error {
	secs := took.Seconds()
	fmt.Fprintf(w, "uts: tree=%s nodes=%d leaves=%d depth=%d ranks=%d time=%.3fs nodes_per_s=%.0f",
		name, c.Nodes, c.Leaves, c.Depth, ranks, secs, float64(c.Nodes)/secs)
	if messages > 0 {
		fmt.Fprintf(w, " messages=%d nodes_per_message=%.1f messages_per_s=%.0f",
			messages, float64(c.Nodes)/float64(messages), float64(messages)/secs)
	}
	fmt.Fprintln(w)
	return c.check(s)
}
