package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit/jobkittest"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestSpecialOutput: -out as a character device, a FIFO or a symbolic link
// is written through, and is still what it was afterwards.
func TestSpecialOutput(t *testing.T) {
	exe := mpitest.Build(t, ".")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte("go Go gopher\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kind := range jobkittest.Kinds {
		t.Run(kind, func(t *testing.T) {
			out := jobkittest.New(t, kind, "counts.tsv")
			if log, err := mpitest.LaunchJob(1, exe, "-dir", dir, "-progress=off", "-out", out.Path); err != nil {
				t.Fatalf("%v\n%s", err, log)
			}
			out.Check(t, func(t *testing.T, b []byte) {
				if want := "2\tgo\n1\tgopher\n"; string(b) != want {
					t.Errorf("counts %q, want %q", b, want)
				}
			})
		})
	}
}
