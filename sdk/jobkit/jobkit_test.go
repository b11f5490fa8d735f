package jobkit_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit"
)

func TestWriteFileAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	write := func(s string, fail error) error {
		return jobkit.WriteFileAtomic(path, func(w io.Writer) error {
			io.WriteString(w, s)
			return fail
		})
	}
	if err := write("first", nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := write("half", boom); !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Fatalf("after a failed write the file holds %q, want the old %q", b, "first")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
	if err := jobkit.WriteFileAtomic(filepath.Join(path, "nodir", "x"), func(io.Writer) error { return nil }); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestCheckProgress(t *testing.T) {
	for _, m := range []string{"auto", "bar", "lines", "off"} {
		if err := jobkit.CheckProgress(m); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	if err := jobkit.CheckProgress("fancy"); err == nil {
		t.Error("-progress fancy accepted")
	}
}

func TestInOrder(t *testing.T) {
	boom := errors.New("boom")
	if jobkit.InOrder(nil) != nil || !errors.Is(jobkit.InOrder(boom), boom) {
		t.Fatal("InOrder must keep nil and wrap errors")
	}
}

// TestProgressLines: in lines mode, Finish prints the last line with the
// total, on stderr.
func TestProgressLines(t *testing.T) {
	r, w, _ := os.Pipe()
	stderr := os.Stderr
	os.Stderr = w
	p := jobkit.NewProgress("lines", "job", "tasks", 4)
	p.Add(4)
	p.Finish()
	os.Stderr = stderr
	w.Close()
	out, _ := io.ReadAll(r)
	if want := "job: 4/4 tasks (100%)"; !strings.Contains(string(out), want) {
		t.Fatalf("lines output %q, want a line with %q", out, want)
	}
}
