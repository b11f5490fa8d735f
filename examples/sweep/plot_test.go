package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// plotRows makes the rows of a grid from the closed form, the simulation
// standing in as the closed form itself (the figure is under test here).
func plotRows(damping, omega span) []row {
	var rows []row
	for _, p := range grid(damping, omega) {
		a := exact(p.Damping, p.Omega)
		rows = append(rows, row{point: p, Amplitude: a, Exact: a})
	}
	return rows
}

// TestPlot40Curves draws 40 damping curves as PNG at a size
// given like -plot-size, and checks the size and that the colour bar and
// key are outside the data: the strip right of the axes holds the bar's
// colours. MPICHAN_PLOT_OUT=file keeps the PNG to look at.
func TestPlot40Curves(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep.png")
	if keep := os.Getenv("MPICHAN_PLOT_OUT"); keep != "" {
		out = keep
	}
	cfg := config{damping: span{0.05, 2, 40}, omega: span{0.2, 3, 141}, plot: out}
	if err := cfg.size.Set("1200x750px"); err != nil {
		t.Fatal(err)
	}
	if err := drawPlot(cfg, plotRows(cfg.damping, cfg.omega)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 750 {
		t.Errorf("PNG is %dx%d, want 1200x750 (-plot-size 1200x750px)", b.Dx(), b.Dy())
	}
	// The colour bar: strongly coloured pixels in the right-hand strip.
	coloured := 0
	for x := 1200 - 110; x < 1200-10; x++ {
		for y := 150; y < 650; y++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if max(r, g, b)-min(r, g, b) > 0x3000 {
				coloured++
			}
		}
	}
	if coloured < 1000 {
		t.Errorf("no colour bar right of the axes (%d coloured pixels)", coloured)
	}
}

func TestPlotSizeFlag(t *testing.T) {
	var s figSize
	for _, bad := range []string{"8x5", "x5in", "1x1in", "8x5mm", "200x5in"} {
		if s.Set(bad) == nil {
			t.Errorf("-plot-size %s accepted", bad)
		}
	}
	if err := s.Set("20x12.5cm"); err != nil || s.String() != "20x12.5cm" {
		t.Errorf("20x12.5cm: %v", err)
	}
}

func TestDenseTicks(t *testing.T) {
	ticks := denseTicks{8}.Ticks(0.2, 3)
	labels := 0
	for _, tk := range ticks {
		if tk.Label != "" {
			labels++
		}
	}
	if labels < 6 || labels > 16 || len(ticks) < 2*labels {
		t.Errorf("%d labelled of %d ticks on [0.2, 3]: %v", labels, len(ticks), ticks)
	}
}
