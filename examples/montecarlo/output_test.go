package main

import (
	"encoding/json"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit/jobkittest"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestSpecialOutput: -out as a character device, a FIFO or a symbolic link
// is written through, and is still what it was afterwards.
func TestSpecialOutput(t *testing.T) {
	exe := mpitest.Build(t, ".")
	for _, kind := range jobkittest.Kinds {
		t.Run(kind, func(t *testing.T) {
			out := jobkittest.New(t, kind, "price.json")
			if log, err := mpitest.LaunchJob(1, exe, "-tasks=4", "-samples=100", "-progress=off", "-out", out.Path); err != nil {
				t.Fatalf("%v\n%s", err, log)
			}
			out.Check(t, func(t *testing.T, b []byte) {
				var e estimate
				if err := json.Unmarshal(b, &e); err != nil || e.Tasks != 4 {
					t.Errorf("not the result: %v\n%s", err, b)
				}
			})
		})
	}
}
