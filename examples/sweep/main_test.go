package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/mpitest"
)

// A small grid with an overdamped row (damping 2.5).
var testGrid = []string{"-damping=0.5:2.5:3", "-omega=0.3:2.7:13", "-progress=lines"}

// want is the CSV file a sequential run writes for testGrid.
func want(t *testing.T) []byte {
	var d, w span
	if err := errors.Join(d.Set("0.5:2.5:3"), w.Set("0.3:2.7:13")); err != nil {
		t.Fatal(err)
	}
	rows := sequential(grid(d, w))
	done := make([]bool, len(rows))
	for i := range done {
		done[i] = true
	}
	var b bytes.Buffer
	if err := writeCSV(&b, rows, done); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPointForPoint runs the sweep on 1, 2 and 4 ranks: the CSV file must
// equal a sequential run's byte for byte (every number is written in full,
// so this is bit for bit), and the plot must be there.
func TestPointForPoint(t *testing.T) {
	exe := mpitest.Build(t, ".")
	want := want(t)
	for _, n := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("ranks=%d", n), func(t *testing.T) {
			dir := t.TempDir()
			csv := filepath.Join(dir, "sweep.csv")
			out, err := mpitest.LaunchJob(n, exe, append(testGrid, "-out", csv)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got, _ := os.ReadFile(csv); !bytes.Equal(got, want) {
				t.Errorf("CSV differs from a sequential run:\n%s\nwant:\n%s", got, want)
			}
			if svg, _ := os.ReadFile(filepath.Join(dir, "sweep.svg")); !bytes.Contains(svg, []byte("<svg")) {
				t.Errorf("no SVG plot:\n%s", out)
			}
			if !strings.Contains(out, "sweep: 39 points (3 damping × 13 omega), 39 computed") {
				t.Errorf("no summary:\n%s", out)
			}
		})
	}
}

// TestResume: a rerun over a partial CSV file computes only the missing
// points and ends with the same file as a run from scratch.
func TestResume(t *testing.T) {
	exe := mpitest.Build(t, ".")
	want := want(t)
	lines := strings.SplitAfter(string(want), "\n")
	partial := lines[0]
	for i := 1; i < len(lines); i += 3 {
		partial += lines[i]
	}
	csv := filepath.Join(t.TempDir(), "sweep.csv")
	if err := os.WriteFile(csv, []byte(partial), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := mpitest.LaunchJob(4, exe, append(testGrid, "-out", csv)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "13 of 39 points already done") || !strings.Contains(out, "26 computed") {
		t.Errorf("did not resume:\n%s", out)
	}
	if got, _ := os.ReadFile(csv); !bytes.Equal(got, want) {
		t.Errorf("resumed CSV differs from a run from scratch:\n%s", got)
	}
}

// TestBadInput: a bad flag, or an output file from another grid, gives one
// clear message, a non-zero exit, and leaves the directory as it was.
func TestBadInput(t *testing.T) {
	exe := mpitest.Build(t, ".")
	foreign := "damping,omega,amplitude,exact,rel_error\n0.7,1,1,1,0\n"
	for _, c := range []struct {
		name, csv, msg string
		args           []string
	}{
		{"bad flag", "", `sweep: invalid value "3:1:10" for flag -omega: want 0 < min <= max`, []string{"-omega=3:1:10"}},
		{"other grid", foreign, "sweep.csv line 2: damping 0.7, omega 1 is not on this grid", testGrid},
	} {
		dir := t.TempDir()
		csv := filepath.Join(dir, "sweep.csv")
		if c.csv != "" {
			if err := os.WriteFile(csv, []byte(c.csv), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := mpitest.LaunchJob(2, exe, append(c.args, "-out", csv)...)
		if err == nil {
			t.Errorf("%s: exit status 0:\n%s", c.name, out)
		}
		if strings.Count(out, c.msg) != 1 {
			t.Errorf("%s: want %q once:\n%s", c.name, c.msg, out)
		}
		wantFiles := 0
		if c.csv != "" {
			wantFiles = 1
		}
		left, _ := os.ReadDir(dir)
		if got, _ := os.ReadFile(csv); len(left) != wantFiles || string(got) != c.csv {
			t.Errorf("%s: directory changed: %v", c.name, left)
		}
	}
}

// sequential computes the whole grid in one process: the reference that a
// run on any number of ranks must equal, point for point.
func sequential(pts []point) []row {
	rows := make([]row, len(pts))
	for i, p := range pts {
		rows[i] = compute(p)
	}
	return rows
}
