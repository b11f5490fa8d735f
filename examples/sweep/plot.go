package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/mpichan/mpichan/sdk/jobkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// figSize is the -plot-size flag: width x height with a unit, in, cm or
// px (pixels at 96 per inch, the resolution of the PNG).
type figSize struct {
	w, h vg.Length
	text string
}

var sizeRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(in|cm|px)$`)

func (s *figSize) String() string { return s.text }

// Set parses "8x5in", "20x12cm" or "1600x1000px".
func (s *figSize) Set(v string) error {
	m := sizeRE.FindStringSubmatch(v)
	if m == nil {
		return fmt.Errorf("want WIDTHxHEIGHT with in, cm or px, e.g. 8x5in")
	}
	w, _ := strconv.ParseFloat(m[1], 64)
	h, _ := strconv.ParseFloat(m[2], 64)
	unit := map[string]vg.Length{"in": vg.Inch, "cm": vg.Centimeter, "px": vg.Inch / 96}[m[3]]
	if s.w, s.h = vg.Length(w)*unit, vg.Length(h)*unit; s.w < 3*vg.Inch || s.h < 2*vg.Inch || s.w > 100*vg.Inch || s.h > 100*vg.Inch {
		return fmt.Errorf("%s: want at least 3x2in and at most 100x100in", v)
	}
	s.text = v
	return nil
}

// defaultSize is the figure's size without -plot-size.
func defaultSize() figSize {
	var s figSize
	s.Set("8x5in")
	return s
}

// marksPerCurve bounds the simulation marks drawn on each curve, so that
// they stay readable over the closed-form line on a dense grid.
const marksPerCurve = 28

// drawPlot draws amplitude against drive frequency, one curve per damping
// value, coloured by damping (colour bar on the right): the closed form as
// a line, the simulation as open circles on it (every k-th grid point). The
// legend and the colour bar sit outside the data, beside the axes.
func drawPlot(cfg config, rows []row) error {
	size := cfg.size
	if size.w == 0 {
		size = defaultSize()
	}
	dampings := cfg.damping.values()
	colors := moreland.SmoothBlueRed()
	lo, hi := dampings[0], dampings[len(dampings)-1]
	if hi <= lo {
		hi = lo + 1
	}
	colors.SetMin(lo)
	colors.SetMax(hi)

	p := plot.New()
	p.Title.Text = "Driven damped oscillator x″ + γx′ + x = cos ωt: steady-state amplitude"
	p.X.Label.Text = "drive frequency ω (natural frequency 1)"
	p.Y.Label.Text = "amplitude"
	p.X.Tick.Marker = denseTicks{8}
	p.Y.Tick.Marker = denseTicks{8}
	p.X.Min, p.Y.Min = cfg.omega.min, 0
	p.X.Max = cfg.omega.max
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{225}, color.Gray{225}
	p.Add(grid)

	n := cfg.omega.n
	every := max(1, (n+marksPerCurve-1)/marksPerCurve)
	for i, d := range dampings {
		closed := make(plotter.XYs, n)
		var sim plotter.XYs
		for j, r := range rows[i*n : (i+1)*n] {
			closed[j] = plotter.XY{X: r.Omega, Y: r.Exact}
			if j%every == 0 {
				sim = append(sim, plotter.XY{X: r.Omega, Y: r.Amplitude})
			}
		}
		c, err := colors.At(d)
		if err != nil {
			return err
		}
		line, err := plotter.NewLine(closed)
		if err != nil {
			return err
		}
		line.Color, line.Width = c, vg.Points(0.9)
		dots, err := plotter.NewScatter(sim)
		if err != nil {
			return err
		}
		dots.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(1.8), Shape: draw.RingGlyph{}}
		p.Add(line, dots)
	}

	// Key: what marks and lines mean, in neutral grey.
	key := plot.NewLegend()
	keyLine, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}})
	keyLine.Color, keyLine.Width = color.Gray{60}, vg.Points(0.9)
	keyDots, _ := plotter.NewScatter(plotter.XYs{{X: 0, Y: 0}})
	keyDots.GlyphStyle = draw.GlyphStyle{Color: color.Gray{60}, Radius: vg.Points(1.8), Shape: draw.RingGlyph{}}
	key.Add("closed form 1/√((1−ω²)² + (γω)²)", keyLine)
	marks := "simulation (RK4)"
	if every > 1 {
		marks = fmt.Sprintf("simulation (RK4), 1 grid point in %d", every)
	}
	key.Add(marks, keyDots)
	key.Top, key.Left = true, false
	title := p.Title.Text
	titleStyle := p.Title.TextStyle
	p.Title.Text = ""

	// Colour bar for the damping.
	bar := plot.New()
	bar.HideX()
	bar.X.Min, bar.X.Max = 0, 1
	bar.Y.Label.Text = "damping γ"
	bar.Y.Tick.Marker = denseTicks{6}
	bar.Add(&plotter.ColorBar{ColorMap: colors, Vertical: true})

	format := strings.TrimPrefix(filepath.Ext(cfg.plot), ".")
	cw, err := draw.NewFormattedCanvas(size.w, size.h, format)
	if err != nil {
		return err
	}
	dc := draw.New(cw)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	// Top band: the title on the left, the key on the right. Below it the
	// axes, and right of them the colour bar.
	pad := vg.Points(8)
	band := 2*key.TextStyle.Height("M") + 3*pad
	side := vg.Inch * 1.3
	top := draw.Crop(dc, 0, 0, dc.Max.Y-dc.Min.Y-band, 0)
	titleStyle.XAlign, titleStyle.YAlign = draw.XLeft, draw.YCenter
	top.FillText(titleStyle, vg.Point{X: top.Min.X + pad, Y: (top.Min.Y + top.Max.Y) / 2}, title)
	key.Draw(draw.Crop(top, 0, -pad, pad/2, -pad))
	p.Draw(draw.Crop(dc, 0, -side, 0, -band))
	bar.Draw(draw.Crop(dc, size.w-side+pad, -pad, vg.Inch*0.6, -band-pad))

	return jobkit.WriteFileAtomic(cfg.plot, func(f io.Writer) error {
		_, err := cw.WriteTo(f)
		return err
	})
}

// denseTicks puts about n labelled ticks on an axis, at 1, 2 or 5 times a
// power of ten, with unlabelled minor ticks between them.
type denseTicks struct{ n int }

// Ticks implements plot.Ticker.
func (d denseTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi <= lo || d.n < 2 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / float64(d.n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step, minors := 10*mag, 5
	for _, m := range []struct {
		f float64
		k int
	}{{1, 5}, {2, 4}, {5, 5}} {
		if m.f*mag >= raw {
			step, minors = m.f*mag, m.k
			break
		}
	}
	prec := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	minor := step / float64(minors)
	for i := math.Ceil(lo / minor); i*minor <= hi+minor*1e-9; i++ {
		v := i * minor
		t := plot.Tick{Value: v}
		if math.Abs(math.Remainder(v, step)) < minor*1e-6 {
			t.Label = strconv.FormatFloat(v, 'f', prec, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
