package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit/jobkittest"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestResume kills a job (SIGKILL of rank 0, which writes the journal,
// after it journaled 5 tasks; mpirun then ends every rank), runs it
// again, and compares the output with an uninterrupted run's: equal bit
// for bit but for the run time.
func TestResume(t *testing.T) {
	exe := mpitest.Build(t, ".")
	dir := t.TempDir()
	args := []string{"-tasks=23", "-samples=3000", "-seed=5", "-progress=off"}
	full := filepath.Join(dir, "full.json")
	if out, err := mpitest.LaunchJob(2, exe, append(args, "-out", full)...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	resumed := filepath.Join(dir, "resumed.json")
	out := jobkittest.KillAndRerun(t, 2, 5, resumed+".journal", exe, append(args, "-out", resumed)...)
	if !strings.Contains(out, "5 of 23 tasks already done") {
		t.Errorf("did not resume from the journal:\n%s", out)
	}
	if a, b := withoutTime(t, full), withoutTime(t, resumed); !bytes.Equal(a, b) {
		t.Errorf("resumed run differs from an uninterrupted one:\n%s\n%s", b, a)
	}
	if _, err := os.Stat(resumed + ".journal"); !os.IsNotExist(err) {
		t.Errorf("journal left after the job ended: %v", err)
	}
}

// withoutTime is the JSON output at path with its run time set to 0.
// Floats are written in the shortest form that reads back the same bits,
// so equal bytes are equal bits.
func withoutTime(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	var e estimate
	if err == nil {
		err = json.Unmarshal(b, &e)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.Seconds = 0
	b, _ = json.Marshal(e)
	return b
}
