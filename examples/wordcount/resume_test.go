package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit"
	"github.com/mpichan/mpichan/sdk/jobkit/jobkittest"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestResume kills a job (SIGKILL of rank 0, which writes the journal,
// after it journaled 7 chunks; mpirun then ends every rank), runs it
// again, and compares the counts with an uninterrupted run's, byte for
// byte.
func TestResume(t *testing.T) {
	exe := mpitest.Build(t, ".")
	src := filepath.Join(goroot(t), "src", "go", "ast")
	dir := t.TempDir()
	args := []string{"-dir", src, "-chunk=4096", "-progress=off"}
	full := filepath.Join(dir, "full.tsv")
	if out, err := mpitest.LaunchJob(2, exe, append(args, "-out", full)...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	resumed := filepath.Join(dir, "resumed.tsv")
	out := jobkittest.KillAndRerun(t, 2, 7, resumed+".journal", exe, append(args, "-out", resumed)...)
	if !strings.Contains(out, "7 chunks already done") {
		t.Errorf("did not resume from the journal:\n%s", out)
	}
	a, _ := os.ReadFile(full)
	b, err := os.ReadFile(resumed)
	if err != nil || len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("resumed counts (%d bytes, %v) differ from an uninterrupted run's (%d bytes)", len(b), err, len(a))
	}
	if _, err := os.Stat(resumed + ".journal"); !os.IsNotExist(err) {
		t.Errorf("journal left after the job ended: %v", err)
	}
	// A journal is of one input: another -chunk is another job.
	t.Setenv(jobkit.KillAfterEnv, "1")
	mpitest.LaunchJob(2, exe, append(args, "-out", resumed)...)
	os.Unsetenv(jobkit.KillAfterEnv)
	out, err = mpitest.LaunchJob(2, exe, "-dir", src, "-chunk=8192", "-out", resumed)
	if err == nil || strings.Count(out, "written by a job with other parameters") != 1 {
		t.Errorf("a journal of other parameters was not refused once:\n%s", out)
	}
	if out, err := mpitest.LaunchJob(2, exe, "-dir", src, "-chunk=8192", "-fresh", "-progress=off", "-out", resumed); err != nil {
		t.Errorf("-fresh: %v\n%s", err, out)
	}
}
