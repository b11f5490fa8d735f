// Command sweep runs a parameter sweep over all ranks of an MPI job: the
// steady-state amplitude of a driven damped oscillator over a grid of
// damping and drive frequency, simulated and checked against its closed
// form. It writes the results as CSV and draws them.
//
// Rank 0 hands out grid points through one channel; every rank, rank 0
// included, simulates them and sends rows back through a second channel.
// Rank 0 saves the finished rows to the CSV file every -save interval (each
// time whole, through a temporary file), so a sweep that is stopped can be
// resumed: run it again with the same -out and it computes only the
// missing points. The results equal a sequential run's, bit for bit.
//
//	mpirun -n 2 ./sweep
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/jobkit"
	"golang.org/x/sync/errgroup"
)

const about = `Sweeps the oscillator x'' + damping·x' + x = cos(omega·t) over a grid of
damping and drive frequency omega: simulates each point (RK4) and compares the
steady-state amplitude with its closed form. Writes a CSV file and a plot.
Rerun with the same -out to resume a stopped sweep.`

// progName is the program's name as it was run (a project made from this
// example has its own): usage, errors and messages use it.
var progName = filepath.Base(os.Args[0])

// config is the command line.
type config struct {
	damping, omega span
	out, plot      string
	save           time.Duration
	progress       string
	size           figSize // of the plot
	part           part    // of a job array: -part or SLURM_ARRAY_TASK_ID
	merge          bool    // join the parts' files (array.go)
	merged         string  // with a part: the -out that -merge writes
}

func main() {
	cfg := config{damping: span{0.1, 1, 10}, omega: span{0.2, 3, 141}, size: defaultSize()}
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.Var(&cfg.damping, "damping", "damping values, `min:max:n`")
	fs.Var(&cfg.omega, "omega", "drive frequencies, `min:max:n` (the natural frequency is 1)")
	fs.StringVar(&cfg.out, "out", "sweep.csv", "CSV `file`; if it exists, its points are not computed again")
	fs.StringVar(&cfg.plot, "plot", "", "plot `file`, .svg or .png (default: -out with .svg)")
	fs.Var(&cfg.size, "plot-size", "plot size, `WxH` in in, cm or px (e.g. 8x5in, 1600x1000px)")
	fs.DurationVar(&cfg.save, "save", 10*time.Second, "save finished points to -out this often")
	fs.Var(&cfg.part, "part", "compute part `K/N` of the grid into OUT-partKofN.csv (default in a Slurm job array: its task)")
	fs.BoolVar(&cfg.merge, "merge", false, "join the part files OUT-part*of*.csv into -out and draw the plot, then exit")
	progress := jobkit.ProgressFlag(fs)
	jobkit.ParseFlags(fs, about, os.Args[1:], func() error {
		cfg.progress = *progress
		return cfg.check()
	})
	if cfg.merge {
		if jobkit.LauncherRank() == 0 {
			if err := mergeParts(cfg); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", progName, err)
				os.Exit(1)
			}
		}
		return
	}
	// Every rank reads the previous results, so that all agree on a bad
	// file and stop before MPI starts; only rank 0 uses them.
	pts := grid(cfg.damping, cfg.omega)
	rows, done, err := readCSV(cfg.out, pts)
	if err != nil {
		if jobkit.LauncherRank() == 0 {
			fmt.Fprintf(os.Stderr, "%s: %v\n", progName, err)
		}
		os.Exit(1)
	}

	jobkit.Main(progName, func(ctx context.Context) error { return run(ctx, cfg, rows, done) })
}

// check is where the command line is validated, before MPI starts.
func (c *config) check() error {
	if c.damping.n*c.omega.n > 1_000_000 {
		return fmt.Errorf("%d points: at most 1000000", c.damping.n*c.omega.n)
	}
	if c.plot == "" {
		c.plot = strings.TrimSuffix(c.out, filepath.Ext(c.out)) + ".svg"
	}
	if !c.merge {
		if err := c.setPart(); err != nil {
			return err
		}
	}
	if ext := filepath.Ext(c.plot); ext != ".svg" && ext != ".png" {
		return fmt.Errorf("-plot %q: want a .svg or .png file", c.plot)
	}
	for _, f := range []string{c.out, c.plot} {
		if info, err := os.Stat(filepath.Dir(f)); err != nil || !info.IsDir() {
			return fmt.Errorf("%q: not a file in an existing directory", f)
		}
	}
	if c.save <= 0 {
		return fmt.Errorf("-save %v: must be positive", c.save)
	}
	return jobkit.CheckProgress(c.progress)
}

// run is the job on one rank; rows and done are the previous results.
func run(ctx context.Context, cfg config, rows []row, done []bool) error {
	world := mpichan.World()
	tasks, err := mpichan.New[point](world, mpichan.Options{Capacity: 64, FrameSize: 24})
	if err != nil {
		return err
	}
	results, err := mpichan.New[row](world, mpichan.Options{Capacity: 64, FrameSize: 40})
	if err != nil {
		return err
	}
	if mpichan.Rank() == 0 {
		err = host(ctx, cfg, rows, done, tasks, results)
	} else {
		err = work(ctx, tasks, results)
	}
	if err != nil {
		return err
	}
	return errors.Join(results.Free(ctx), tasks.Free(ctx))
}

// work takes points until none is left and sends back a row for each.
func work(ctx context.Context, tasks *mpichan.Channel[point], results *mpichan.Channel[row]) error {
	return jobkit.Work(ctx, tasks, results, func(p point) (row, error) { return compute(p), nil })
}

// host is rank 0: it claims the points not yet done, then puts them, works
// on them and collects the rows (saving them now and then), each in a
// goroutine of one group: the first to fail stops the others.
func host(ctx context.Context, cfg config, rows []row, done []bool, tasks *mpichan.Channel[point], results *mpichan.Channel[row]) error {
	start := time.Now()
	pts := grid(cfg.damping, cfg.omega)
	var todo []point
	mine := 0 // points of this part
	for i, p := range pts {
		if cfg.part.has(i) {
			mine++
			if !done[i] {
				todo = append(todo, p)
			}
		}
	}
	if len(todo) < mine {
		fmt.Printf("%s: resuming %s: %d of %d points already done\n", progName, cfg.out, mine-len(todo), mine)
	}
	if err := errors.Join(tasks.Claim(len(todo)), results.Claim(len(todo))); err != nil {
		return err
	}
	save := func() error {
		return jobkit.WriteFileAtomic(cfg.out, func(w io.Writer) error { return writeCSV(w, rows, done) })
	}
	// Slurm's warning before the time limit (SIGUSR1) saves at once.
	warned := make(chan os.Signal, 1)
	signal.Notify(warned, syscall.SIGUSR1)
	defer signal.Stop(warned)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return jobkit.PutAll(ctx, tasks, slices.Values(todo)) })
	g.Go(func() error { return work(ctx, tasks, results) })
	g.Go(func() error {
		saved := time.Now()
		bar := jobkit.NewProgress(cfg.progress, progName, "points", int64(len(todo)))
		defer bar.Finish()
		for r, err := range results.All(ctx) {
			if err != nil {
				return err
			}
			if r.Index < 0 || r.Index >= int64(len(pts)) || r.point != pts[r.Index] {
				return fmt.Errorf("result for unknown point %+v", r.point)
			}
			rows[r.Index], done[r.Index] = r, true
			bar.Add(1)
			due := time.Since(saved) >= cfg.save
			select {
			case <-warned:
				due = true
			default:
			}
			if due {
				if err := save(); err != nil {
					return err
				}
				saved = time.Now()
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	if err := save(); err != nil {
		return err
	}
	if cfg.part.n > 1 {
		fmt.Printf("%s: part %v: %d points computed into %s on %d ranks in %.2fs; when all parts are done: %s -merge -out %s\n",
			progName, &cfg.part, len(todo), cfg.out, mpichan.Size(), time.Since(start).Seconds(), progName, cfg.merged)
		return nil
	}
	if err := drawPlot(cfg, rows); err != nil {
		return err
	}

	worst := rows[0]
	for i, r := range rows {
		if done[i] && r.relErr() > worst.relErr() {
			worst = r
		}
	}
	fmt.Printf("%s: %d points (%d damping × %d omega), %d computed on %d ranks in %.2fs\n",
		progName, len(pts), cfg.damping.n, cfg.omega.n, len(todo), mpichan.Size(), time.Since(start).Seconds())
	fmt.Printf("  largest relative error against the closed form: %.2e (damping %g, omega %g)\n",
		worst.relErr(), worst.Damping, worst.Omega)
	fmt.Printf("  results in %s, plot in %s\n", cfg.out, cfg.plot)
	return nil
}
