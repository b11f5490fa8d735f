package jobkit

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

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

// NewProgress starts showing progress in mode auto, bar, lines or off (see
// ProgressFlag). Call it on rank 0 only.
func NewProgress(mode, name, unit string, total int64) *Progress {
	p := &Progress{name: name, unit: unit, total: total, start: time.Now()}
	if mode == "off" || total <= 0 {
		return p
	}
	w := Terminal()
	if mode == "bar" && w == nil {
		w = os.Stderr
	}
	if mode != "lines" && w != nil {
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
