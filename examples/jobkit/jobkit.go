// Package jobkit is what the mpichan examples share: flag handling that
// prints on rank 0 only, progress on rank 0, and output files written whole
// or not at all. mpichan-init copies it into the projects it makes from the
// examples.
package jobkit

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// LauncherRank is this process's rank as the MPI launcher announced it in
// the environment, readable before MPI starts; 0 outside a launcher.
func LauncherRank() int {
	for _, k := range []string{"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"} {
		if r, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return r
		}
	}
	return 0
}

// ParseFlags parses args into fs (made with flag.ContinueOnError), then
// runs check. Every rank parses the same arguments, so they all agree; only
// rank 0 prints. It exits 0 after -h and 2 after a bad flag, before MPI
// starts, so nothing has been written.
func ParseFlags(fs *flag.FlagSet, about string, args []string, check func() error) {
	out := io.Writer(os.Stderr)
	if LauncherRank() != 0 {
		out = io.Discard
	}
	fs.SetOutput(io.Discard) // we print errors ourselves, once
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(out, "Usage: mpirun -n N %s [flags]\n\n%s\n\nFlags:\n", fs.Name(), about)
		fs.SetOutput(out)
		fs.PrintDefaults()
		os.Exit(0)
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if err == nil {
		err = check()
	}
	if err != nil {
		fmt.Fprintf(out, "%s: %v\nRun '%s -h' for help.\n", fs.Name(), err, fs.Name())
		os.Exit(2)
	}
}

// ProgressFlag defines the -progress flag.
func ProgressFlag(fs *flag.FlagSet) *string {
	return fs.String("progress", "auto", "`mode` of progress on rank 0: auto (a bar on a terminal, else a line every 5s), lines, or off")
}

// CheckProgress reports an error for a bad -progress mode.
func CheckProgress(mode string) error {
	switch mode {
	case "auto", "lines", "off":
		return nil
	}
	return fmt.Errorf("-progress %q: want auto, lines or off", mode)
}

// progressEvery is how often plain-text progress prints a line.
const progressEvery = 5 * time.Second

// Progress shows done/total, rate and ETA: a bar redrawn in place on a
// terminal, plain lines on stderr otherwise. Unit "B" counts bytes.
type Progress struct {
	name, unit string
	total      int64
	start      time.Time

	pool *mpb.Progress // bar mode
	bar  *mpb.Bar

	mu   sync.Mutex // lines mode
	done int64
	stop chan struct{}
	wg   sync.WaitGroup
}

// NewProgress starts showing progress in mode auto, lines or off.
func NewProgress(mode, name, unit string, total int64) *Progress {
	p := &Progress{name: name, unit: unit, total: total, start: time.Now()}
	if mode == "off" || total <= 0 {
		return p
	}
	if w := terminal(); mode == "auto" && w != nil {
		count := decor.CountersNoUnit("%d/%d "+unit, decor.WCSyncSpace)
		speed := decor.AverageSpeed(0, "%.1f "+unit+"/s", decor.WCSyncSpace)
		if unit == "B" {
			count = decor.CountersKibiByte("% .1f/% .1f", decor.WCSyncSpace)
			speed = decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace)
		}
		p.pool = mpb.New(mpb.WithConsoleWriter(sizedWriter{cupwriter.New(w, false)}), mpb.WithWidth(32))
		p.bar = p.pool.AddBar(total,
			mpb.PrependDecorators(decor.Name(name), count),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), speed,
				decor.OnComplete(decor.Name(" ETA"), ""), decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), "done")))
		return p
	}
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				fmt.Fprintln(os.Stderr, p.line())
			}
		}
	}()
	return p
}

// sizedWriter draws on a terminal that reports no size, like the one Open
// MPI's mpirun gives rank 0, as if it had 80 columns.
type sizedWriter struct{ *cupwriter.Writer }

func (w sizedWriter) GetTermSize() (width, height int, err error) {
	if width, height, err = w.Writer.GetTermSize(); err != nil || width <= 0 || height <= 0 {
		return 80, 24, nil
	}
	return width, height, nil
}

// terminal is where a bar can be drawn: stderr, or stdout (Open MPI's
// mpirun gives rank 0 a terminal on stdout only); nil if neither is one.
func terminal() *os.File {
	for _, f := range []*os.File{os.Stderr, os.Stdout} {
		if term.IsTerminal(int(f.Fd())) {
			return f
		}
	}
	return nil
}

// Add counts n more units done.
func (p *Progress) Add(n int64) {
	if p.bar != nil {
		p.bar.IncrInt64(n)
	}
	p.mu.Lock()
	p.done += n
	p.mu.Unlock()
}

// Finish stops the display; in lines mode it prints a last line.
func (p *Progress) Finish() {
	if p.bar != nil {
		if !p.bar.Completed() {
			p.bar.Abort(false)
		}
		p.pool.Wait()
	}
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
		fmt.Fprintln(os.Stderr, p.line())
	}
}

func (p *Progress) line() string {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	unit, scale, digits := p.unit, 1.0, 0
	if unit == "B" {
		unit, scale, digits = "MiB", 1<<20, 1
	}
	elapsed := time.Since(p.start)
	rate := float64(done) / elapsed.Seconds()
	s := fmt.Sprintf("%s: %.*f/%.*f %s (%.0f%%), %.1f %s/s", p.name, digits, float64(done)/scale, digits,
		float64(p.total)/scale, unit, 100*float64(done)/float64(p.total), rate/scale, unit)
	if done < p.total && rate > 0 {
		return s + ", ETA " + time.Duration(float64(p.total-done)/rate*float64(time.Second)).Round(time.Second).String()
	}
	return s + ", " + elapsed.Round(time.Millisecond).String()
}

// WriteFileAtomic writes path whole or not at all: write fills a temporary
// file in the same directory, which replaces path only when complete.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
