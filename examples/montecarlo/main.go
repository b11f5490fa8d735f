// Command montecarlo prices a European call option by Monte Carlo over all
// ranks of an MPI job and checks the price against the Black-Scholes
// formula.
//
// Rank 0 hands out task numbers through one channel; every rank, rank 0
// included, simulates its tasks and sends per-task sums back through a
// second channel; rank 0 adds them up in task order. Each task seeds its own
// generator from (-seed, task number), so the price is bit-identical on any
// number of ranks, and equal to a sequential run.
//
//	mpirun -n 2 ./montecarlo
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/jobkit"
	"golang.org/x/sync/errgroup"
)

const about = `Prices a European call option by Monte Carlo on every rank and compares the
price with the Black-Scholes formula. The result is bit-identical whatever
the number of ranks.`

// progName is the program's name as it was run (a project made from this
// example has its own): usage, errors and messages use it.
var progName = filepath.Base(os.Args[0])

// config is the command line.
type config struct {
	option   option
	tasks    int
	samples  int
	seed     uint64
	out      string
	progress string
	journal  string
	fresh    bool
}

func main() {
	var cfg config
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.Float64Var(&cfg.option.Spot, "spot", 100, "stock price today")
	fs.Float64Var(&cfg.option.Strike, "strike", 110, "strike price")
	fs.Float64Var(&cfg.option.Rate, "rate", 0.05, "risk-free interest rate (continuously compounded, per year)")
	fs.Float64Var(&cfg.option.Vol, "vol", 0.2, "volatility (per square-root year)")
	fs.Float64Var(&cfg.option.Maturity, "maturity", 1, "time to maturity in years")
	fs.IntVar(&cfg.tasks, "tasks", 200, "number of tasks")
	fs.IntVar(&cfg.samples, "samples", 250_000, "paths per task")
	fs.Uint64Var(&cfg.seed, "seed", 1, "random seed; task i uses the stream (seed, i)")
	fs.StringVar(&cfg.out, "out", "", "also write the result to this JSON `file`")
	progress := jobkit.ProgressFlag(fs)
	journal, fresh := jobkit.JournalFlags(fs)
	jobkit.ParseFlags(fs, about, os.Args[1:], func() error {
		cfg.progress = *progress
		cfg.journal, cfg.fresh = jobkit.JournalPath(*journal, cfg.out), *fresh
		return cfg.check()
	})
	jobkit.Main(progName, func(ctx context.Context) error { return run(ctx, cfg) })
}

// check is where the command line is validated, before MPI starts.
func (c config) check() error {
	switch {
	case c.tasks < 1 || c.tasks > 1<<30:
		return fmt.Errorf("-tasks %d: must be between 1 and 2^30", c.tasks)
	case c.samples < 2:
		return fmt.Errorf("-samples %d: must be at least 2", c.samples)
	}
	if err := c.option.check(); err != nil {
		return err
	}
	return jobkit.CheckProgress(c.progress)
}

// run is the job on one rank.
func run(ctx context.Context, cfg config) error {
	world := mpichan.World()
	tasks, err := mpichan.New[int64](world, mpichan.Options{Capacity: 64, FrameSize: 8})
	if err != nil {
		return err
	}
	results, err := mpichan.New[taskResult](world, mpichan.Options{Capacity: 64, FrameSize: 24})
	if err != nil {
		return err
	}
	var journalErr error
	if mpichan.Rank() == 0 {
		journalErr, err = host(ctx, cfg, tasks, results)
	} else {
		err = work(ctx, cfg, tasks, results)
	}
	if err != nil {
		return err
	}
	if err := errors.Join(results.Free(ctx), tasks.Free(ctx)); err != nil {
		return err
	}
	// A journal that rank 0 could not use: the channels still ended in
	// order, so no rank is left waiting.
	return jobkit.InOrder(journalErr)
}

// work takes tasks until none is left and sends back one result for each.
func work(ctx context.Context, cfg config, tasks *mpichan.Channel[int64], results *mpichan.Channel[taskResult]) error {
	return jobkit.Work(ctx, tasks, results, func(id int64) (taskResult, error) {
		return simulateTask(cfg.option, cfg.seed, id, cfg.samples), nil
	})
}

// host is rank 0: it takes the finished tasks from the journal, claims the
// others and their results up front, then puts the tasks, works on them
// and collects (and journals) the results, each in a goroutine of one
// group: the first to fail stops the others.
func host(ctx context.Context, cfg config, tasks *mpichan.Channel[int64], results *mpichan.Channel[taskResult]) (journalErr, err error) {
	start := time.Now()
	perTask := make([]taskResult, cfg.tasks)
	todo, journal, journalErr := resume(cfg, perTask)
	if err := errors.Join(tasks.Claim(len(todo)), results.Claim(len(todo))); err != nil {
		return nil, err
	}
	defer journal.Close()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return jobkit.PutAll(ctx, tasks, slices.Values(todo)) })
	g.Go(func() error { return work(ctx, cfg, tasks, results) })
	g.Go(func() error {
		bar := jobkit.NewProgress(cfg.progress, progName, "tasks", int64(len(todo)))
		defer bar.Finish()
		for r, err := range results.All(ctx) {
			if err != nil {
				return err
			}
			if r.ID < 0 || r.ID >= int64(cfg.tasks) {
				return fmt.Errorf("result for unknown task %d", r.ID)
			}
			perTask[r.ID] = r
			if err := journal.Append(r.ID, r); err != nil {
				return err
			}
			bar.Add(1)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if journalErr != nil {
		return journalErr, nil
	}

	e := combine(cfg.option, cfg.seed, cfg.samples, perTask)
	e.Ranks, e.Seconds = mpichan.Size(), time.Since(start).Seconds()
	report(os.Stdout, e)
	if cfg.out != "" {
		err = jobkit.WriteFileAtomic(cfg.out, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(e)
		})
	}
	if err != nil {
		return nil, err
	}
	return nil, journal.Remove() // every result is in the output now
}

// resume opens the journal, puts the results it holds into perTask and
// returns the tasks still to do. If the journal cannot be used, there is
// nothing to do and journalErr says why.
func resume(cfg config, perTask []taskResult) (todo []int64, journal *jobkit.Journal[taskResult], journalErr error) {
	params := fmt.Sprintf("montecarlo spot=%v strike=%v rate=%v vol=%v maturity=%v tasks=%d samples=%d seed=%d",
		cfg.option.Spot, cfg.option.Strike, cfg.option.Rate, cfg.option.Vol, cfg.option.Maturity, cfg.tasks, cfg.samples, cfg.seed)
	journal, done, err := jobkit.OpenJournal[taskResult](cfg.journal, params, cfg.fresh)
	if err != nil {
		return nil, nil, err
	}
	for id := range int64(cfg.tasks) {
		if r, ok := done[id]; ok {
			perTask[id] = r
		} else {
			todo = append(todo, id)
		}
	}
	if len(done) > 0 {
		fmt.Printf("%s: resuming from %s: %d of %d tasks already done\n", progName, cfg.journal, cfg.tasks-len(todo), cfg.tasks)
	}
	return todo, journal, nil
}

// report prints the result for people.
func report(w io.Writer, e estimate) {
	o := e.Contract
	fmt.Fprintf(w, "European call: spot %g, strike %g, rate %g, vol %g, maturity %g\n", o.Spot, o.Strike, o.Rate, o.Vol, o.Maturity)
	fmt.Fprintf(w, "  %d paths in %d tasks on %d ranks, %.2fs\n", e.Paths, e.Tasks, e.Ranks, e.Seconds)
	fmt.Fprintf(w, "  Monte Carlo:   %.6f ± %.6f (standard error)\n", e.Price, e.StdErr)
	fmt.Fprintf(w, "  Black-Scholes: %.6f\n", e.Exact)
	fmt.Fprintf(w, "  difference:    %+.2f standard errors\n", e.Z)
}
