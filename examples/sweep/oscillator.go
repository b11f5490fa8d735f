package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
)

// The oscillator x” + damping·x' + x = cos(omega·t) starts at rest; after
// its transient dies out it swings with amplitude 1/√((1-ω²)² + (γω)²).
const (
	stepsPerPeriod = 200  // RK4 steps per drive period
	measurePeriods = 4    // whole periods over which the amplitude is measured
	transientLeft  = 1e-9 // how far the transient decays before measuring
)

// simulate integrates the oscillator with RK4 and measures its steady-state
// amplitude from the drive-frequency Fourier component of x over whole
// periods.
func simulate(damping, omega float64) float64 {
	period := 2 * math.Pi / omega
	dt := period / stepsPerPeriod
	decay := damping / 2 // the transient's slowest decay rate
	if damping > 2 {
		decay -= math.Sqrt(damping*damping/4 - 1)
	}
	start := int(math.Ceil(-math.Log(transientLeft)/decay/period)) * stepsPerPeriod
	accel := func(t, x, v float64) float64 { return math.Cos(omega*t) - damping*v - x }
	var x, v, re, im float64
	for k := range start + measurePeriods*stepsPerPeriod {
		t := float64(k) * dt
		if k >= start {
			re += x * math.Cos(omega*t)
			im += x * math.Sin(omega*t)
		}
		ax := accel(t, x, v)
		x2, v2 := x+dt/2*v, v+dt/2*ax
		a2 := accel(t+dt/2, x2, v2)
		x3, v3 := x+dt/2*v2, v+dt/2*a2
		a3 := accel(t+dt/2, x3, v3)
		x4, v4 := x+dt*v3, v+dt*a3
		a4 := accel(t+dt, x4, v4)
		x += dt / 6 * (v + 2*v2 + 2*v3 + v4)
		v += dt / 6 * (ax + 2*a2 + 2*a3 + a4)
	}
	return 2 * math.Hypot(re, im) / (measurePeriods * stepsPerPeriod)
}

// exact is the closed-form steady-state amplitude.
func exact(damping, omega float64) float64 {
	return 1 / math.Hypot(1-omega*omega, damping*omega)
}

// point is one task: a grid point. Plain structs go through the channels
// as raw memory.
type point struct {
	Index          int64 // position in the grid, damping-major
	Damping, Omega float64
}

// row is one result, one line of the CSV file.
type row struct {
	point
	Amplitude, Exact float64
}

// compute simulates one point.
func compute(p point) row {
	return row{point: p, Amplitude: simulate(p.Damping, p.Omega), Exact: exact(p.Damping, p.Omega)}
}

func (r row) relErr() float64 { return math.Abs(r.Amplitude-r.Exact) / r.Exact }

// span is a flag of the form min:max:n, n values evenly spaced.
type span struct {
	min, max float64
	n        int
}

func (s *span) String() string { return fmt.Sprintf("%g:%g:%d", s.min, s.max, s.n) }

func (s *span) Set(v string) error {
	f := strings.Split(v, ":")
	if len(f) != 3 {
		return errors.New("want min:max:n")
	}
	lo, err1 := strconv.ParseFloat(f[0], 64)
	hi, err2 := strconv.ParseFloat(f[1], 64)
	n, err3 := strconv.Atoi(f[2])
	switch {
	case errors.Join(err1, err2, err3) != nil:
		return errors.New("want min:max:n, two numbers and a count")
	case !(lo > 0) || math.IsInf(hi, 0) || !(hi >= lo):
		return errors.New("want 0 < min <= max")
	case n < 1 || n > 10_000 || (n == 1) != (lo == hi):
		return errors.New("want 1 to 10000 values, 1 only when min = max")
	}
	*s = span{lo, hi, n}
	return nil
}

// values lists the span's values, rounded to 12 significant digits so that
// 0.1:1:10 gives 0.3 and not 0.30000000000000004.
func (s span) values() []float64 {
	v := make([]float64, s.n)
	for i := range v {
		x := s.min
		if k := float64(s.n - 1); k > 0 {
			x = (s.min*(k-float64(i)) + s.max*float64(i)) / k
		}
		v[i], _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	}
	return v
}

// grid lists every point, damping-major.
func grid(damping, omega span) []point {
	var pts []point
	for _, d := range damping.values() {
		for _, w := range omega.values() {
			pts = append(pts, point{Index: int64(len(pts)), Damping: d, Omega: w})
		}
	}
	return pts
}

var header = []string{"damping", "omega", "amplitude", "exact", "rel_error"}

// writeCSV writes the rows that are done, in grid order. Numbers are
// written in full, so reading them back gives the same bits.
func writeCSV(w io.Writer, rows []row, done []bool) error {
	cw := csv.NewWriter(w)
	cw.Write(header)
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for i, r := range rows {
		if done[i] {
			cw.Write([]string{g(r.Damping), g(r.Omega), g(r.Amplitude), g(r.Exact), g(r.relErr())})
		}
	}
	cw.Flush()
	return cw.Error()
}

// readCSV reads the points already done from a previous run's output, if
// there is one. Every row must be a point of pts. A path that is not a
// regular file (a device such as /dev/null, a FIFO) holds no previous
// output: it is not read.
func readCSV(path string, pts []point) (rows []row, done []bool, err error) {
	rows, done = make([]row, len(pts)), make([]bool, len(pts))
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.Mode().IsRegular()) {
		return rows, done, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	index := make(map[[2]float64]int, len(pts))
	for i, p := range pts {
		index[[2]float64{p.Damping, p.Omega}] = i
	}
	records, err := csv.NewReader(f).ReadAll()
	if err == nil && (len(records) == 0 || strings.Join(records[0], ",") != strings.Join(header, ",")) {
		err = fmt.Errorf("first line is not %q", strings.Join(header, ","))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w; is it this program's output?", path, err)
	}
	for line, rec := range records[1:] {
		var v [4]float64
		for j := range v {
			if v[j], err = strconv.ParseFloat(rec[j], 64); err != nil {
				return nil, nil, fmt.Errorf("%s line %d: %w", path, line+2, err)
			}
		}
		i, ok := index[[2]float64{v[0], v[1]}]
		if !ok {
			return nil, nil, fmt.Errorf("%s line %d: damping %g, omega %g is not on this grid; use another -out, or delete the file to start afresh", path, line+2, v[0], v[1])
		}
		rows[i], done[i] = row{point: pts[i], Amplitude: v[2], Exact: v[3]}, true
	}
	return rows, done, nil
}
