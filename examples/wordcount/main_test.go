package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestExact counts the go/... packages of the Go source tree on 1, 2 and 4
// ranks, in small chunks: every count must equal a single-process count of
// the whole files.
func TestExact(t *testing.T) {
	exe := mpitest.Build(t, ".")
	dir := filepath.Join(goroot(t), "src", "go")
	files, _, err := listFiles(os.DirFS(dir), "*.go")
	if err != nil || len(files) < 50 {
		t.Fatalf("listing %s: %d files, %v", dir, len(files), err)
	}
	counts, words, err := sequential(os.DirFS(dir), files)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	writeCounts(&want, sorted(counts))
	for _, n := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("ranks=%d", n), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "counts.tsv")
			out, err := mpitest.LaunchJob(n, exe, "-dir", dir, "-chunk=4096", "-progress=lines", "-out", path)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("counts differ from a single-process count (%d vs %d bytes)", len(got), want.Len())
			}
			summary := fmt.Sprintf("wordcount: %d files", len(files))
			total := fmt.Sprintf("  %d words, %d distinct", words, len(counts))
			if !strings.Contains(out, summary) || !strings.Contains(out, total) {
				t.Errorf("output lacks %q or %q:\n%s", summary, total, out)
			}
		})
	}
}

// TestDefaultInput: without -dir the job counts its own source, built
// into it, wherever it runs; its counts
// equal a single-process count of that source, and the program's name as
// run, not the example's, names it in its messages.
func TestDefaultInput(t *testing.T) {
	exe := mpitest.Build(t, ".")
	renamed := filepath.Join(t.TempDir(), "myproject")
	if err := os.Rename(exe, renamed); err != nil {
		t.Fatal(err)
	}
	files, _, err := listFiles(ownSource, "*.go")
	if err != nil || len(files) < 2 {
		t.Fatalf("listing the built-in source: %v, %v", files, err)
	}
	counts, words, err := sequential(ownSource, files)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	writeCounts(&want, sorted(counts))
	path := filepath.Join(t.TempDir(), "counts.tsv")
	out, err := mpitest.LaunchJob(2, renamed, "-progress=off", "-out", path)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("counts of the built-in source differ from a single-process count (%v)", err)
	}
	summary := fmt.Sprintf("myproject: %d files", len(files))
	total := fmt.Sprintf("  %d words, %d distinct", words, len(counts))
	if !strings.Contains(out, summary) || !strings.Contains(out, total) {
		t.Errorf("output lacks %q or %q:\n%s", summary, total, out)
	}
	out, err = mpitest.LaunchJob(2, renamed, "-chunk", "1")
	if err == nil || !strings.Contains(out, "myproject: -chunk 1: must be between") || !strings.Contains(out, "Run 'myproject -h' for help.") {
		t.Errorf("a bad flag: %v\n%s", err, out)
	}
}

// TestChunksKeepWords: counting text chunk by chunk gives the same counts
// as counting it whole, for any chunk size that holds a word and the
// separator after it.
func TestChunksKeepWords(t *testing.T) {
	words := []string{"Go", "go", "GÖ", "über", "ünïcödé", "42", "x1", "日本語"}
	seps := []string{" ", "  ", "\n", ", ", "— ", "\xff_", "_"}
	rng := rand.New(rand.NewPCG(1, 2))
	var text []byte
	for range 5000 {
		text = append(text, words[rng.IntN(len(words))]...)
		text = append(text, seps[rng.IntN(len(seps))]...)
	}
	want := make(map[string]int64)
	countWords(text, want)
	for _, size := range []int{32, 33, 100, 4096} {
		got := make(map[string]int64)
		err := chunks(bytes.NewReader(text), size, func(b []byte) error {
			if len(b) > size {
				t.Fatalf("chunk of %d bytes, limit %d", len(b), size)
			}
			countWords(b, got)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var g, w bytes.Buffer
		writeCounts(&g, sorted(got))
		writeCounts(&w, sorted(want))
		if g.String() != w.String() {
			t.Errorf("chunks of %d: counts\n%s\nwant\n%s", size, g.String(), w.String())
		}
	}
}

// TestBadInput: a missing directory, or a pattern that matches nothing,
// gives one clear message, a non-zero exit and no output file.
func TestBadInput(t *testing.T) {
	exe := mpitest.Build(t, ".")
	src := filepath.Join(goroot(t), "src", "go")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-dir", "/no/such/dir"}, "wordcount: -dir: stat /no/such/dir: no such file or directory"},
		{[]string{"-dir", src, "-pattern", "*.nothing"}, `wordcount: no file under ` + src + ` matches -pattern "*.nothing"`},
	} {
		dir := t.TempDir()
		out, err := mpitest.LaunchJob(2, exe, append(c.args, "-out", filepath.Join(dir, "counts.tsv"))...)
		if err == nil {
			t.Errorf("%v: exit status 0:\n%s", c.args, out)
		}
		if strings.Count(out, c.msg) != 1 {
			t.Errorf("%v: want %q once:\n%s", c.args, c.msg, out)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("%v: files left behind: %v", c.args, left)
		}
	}
}

// goroot is the GOROOT of the go command that runs the tests.
func goroot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// sequential counts the files of fsys in one process, each read whole:
// the reference that a run on any number of ranks must equal exactly.
func sequential(fsys fs.FS, files []string) (counts map[string]int64, words int64, err error) {
	counts = make(map[string]int64)
	for _, f := range files {
		text, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, 0, err
		}
		words += countWords(text, counts)
	}
	return counts, words, nil
}
