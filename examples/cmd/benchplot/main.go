// Command benchplot draws chanbench's SWEEP lines (sdk/cmd/chanbench) with
// gonum/plot: messages/s against message size for one rank count, and
// against ranks for one message size, the channel and the two-sided farm
// on the same axes (log scales).
//
//	benchplot -out docs/img/bench [-ranks 4] [-size 64] [-label "MPICH: "] chanbench-output...
//
// It writes OUT-size.png and OUT-ranks.png. It lives in examples/, not in
// the sdk module, so that the SDK does not depend on gonum.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// point is one SWEEP line: medians of msg/s for one size and rank count
// (recycle: the channel whose takers Recycle each message, 0 if not run).
type point struct {
	size, ranks                    float64
	farm1, farm2, channel, recycle float64
}

func main() {
	out := flag.String("out", "bench", "output file prefix")
	ranks := flag.Int("ranks", 4, "rank count of the size plot")
	size := flag.Int("size", 64, "message size (bytes) of the ranks plot")
	label := flag.String("label", "", "what ran (MPI library, machine), put before each title")
	flag.Parse()
	var pts []point
	for _, f := range flag.Args() {
		p, err := read(f)
		if err != nil {
			fail(err)
		}
		pts = append(pts, p...)
	}
	if len(pts) == 0 {
		fail(fmt.Errorf("no SWEEP lines in %v", flag.Args()))
	}
	bySize := pick(pts, func(p point) (bool, float64) { return p.ranks == float64(*ranks), p.size })
	byRanks := pick(pts, func(p point) (bool, float64) { return p.size == float64(*size), p.ranks })
	if err := draw(bySize, fmt.Sprintf("%s%d ranks: rank 0 hands out messages, the others take them", *label, *ranks), "message size (bytes)", true, *out+"-size.png"); err != nil {
		fail(err)
	}
	if err := draw(byRanks, fmt.Sprintf("%s%d-byte messages", *label, *size), "ranks", false, *out+"-ranks.png"); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchplot:", err)
	os.Exit(1)
}

// read parses the SWEEP lines of a chanbench output file.
func read(name string) ([]point, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var pts []point
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "SWEEP" {
			continue
		}
		kv := map[string]float64{}
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			x, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil {
				return nil, fmt.Errorf("%s: bad field %q", name, f)
			}
			kv[k] = x
		}
		pts = append(pts, point{kv["size"], kv["ranks"], kv["farm1"], kv["farm2"], kv["channel"], kv["recycle"]})
	}
	return pts, sc.Err()
}

// pick keeps the points keep accepts, sorted by their x; a later point
// with the same x replaces an earlier one.
func pick(pts []point, keep func(point) (bool, float64)) []point {
	at := map[float64]point{}
	for _, p := range pts {
		if ok, x := keep(p); ok {
			at[x] = p
		}
	}
	var xs []float64
	for x := range at {
		xs = append(xs, x)
	}
	sort.Float64s(xs)
	out := make([]point, len(xs))
	for i, x := range xs {
		out[i] = at[x]
		out[i].size = x // the x axis, whichever it is
	}
	return out
}

func draw(pts []point, title, xlabel string, logX bool, file string) error {
	if len(pts) == 0 {
		return fmt.Errorf("%s: no points", file)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = "messages/s"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	line := func(get func(point) float64) plotter.XYs {
		xy := make(plotter.XYs, len(pts))
		for i, pt := range pts {
			xy[i].X, xy[i].Y = pt.size, get(pt)
		}
		return xy
	}
	lines := []any{
		"channel (All)", line(func(pt point) float64 { return pt.channel }),
		"farm, 1 task in flight", line(func(pt point) float64 { return pt.farm1 }),
		"farm, 2 tasks in flight", line(func(pt point) float64 { return pt.farm2 }),
	}
	if pts[0].recycle > 0 {
		lines = append(lines, "channel (All, takers Recycle)", line(func(pt point) float64 { return pt.recycle }))
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	p.Legend.Top = true
	return p.Save(6*vg.Inch, 4*vg.Inch, file)
}
