package main

import (
	"bytes"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit/jobkittest"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestSpecialOutput: -out and -plot as character devices, FIFOs or
// symbolic links are written through, and are still what they were
// afterwards. Such an -out holds no previous results to resume from.
func TestSpecialOutput(t *testing.T) {
	exe := mpitest.Build(t, ".")
	want := want(t)
	for _, kind := range jobkittest.Kinds {
		t.Run(kind, func(t *testing.T) {
			csv, plot := jobkittest.New(t, kind, "sweep.csv"), jobkittest.New(t, kind, "plot.svg")
			if log, err := mpitest.LaunchJob(1, exe, append(testGrid, "-out", csv.Path, "-plot", plot.Path)...); err != nil {
				t.Fatalf("%v\n%s", err, log)
			}
			csv.Check(t, func(t *testing.T, b []byte) {
				if !bytes.Equal(b, want) {
					t.Errorf("CSV differs from a sequential run:\n%s", b)
				}
			})
			plot.Check(t, func(t *testing.T, b []byte) {
				if !bytes.Contains(b, []byte("<svg")) {
					t.Errorf("no SVG plot: %.200q", b)
				}
			})
		})
	}
}
