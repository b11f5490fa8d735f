package generate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

type params struct{ Name string }

func TestRender(t *testing.T) {
	src := []File{
		{Path: "[[.Name]].txt.tmpl", Data: []byte("hi [[.Name]] ${HOME}")},
		{Path: "main.go.raw", Data: []byte("New[[]byte]")},
		{Path: "run.sh", Data: []byte("#!/bin/sh")},
	}
	out, err := Render(src, params{"job"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]File{}
	for _, f := range out {
		got[f.Path] = f
	}
	if string(got["job.txt"].Data) != "hi job ${HOME}" {
		t.Errorf("job.txt = %q", got["job.txt"].Data)
	}
	if string(got["main.go"].Data) != "New[[]byte]" {
		t.Errorf(".raw file changed: %q", got["main.go"].Data)
	}
	if got["run.sh"].Mode&0o111 == 0 {
		t.Error("run.sh is not executable")
	}
	for _, bad := range [][]File{
		{{Path: "a.tmpl", Data: []byte("[[.Nope]]")}},
		{{Path: "[[.Name]]/../../x"}},
		{{Path: "a.tmpl"}, {Path: "a.raw"}},
	} {
		if _, err := Render(bad, params{"job"}); err == nil {
			t.Errorf("Render(%v): want an error", bad[0].Path)
		}
	}
}

func TestWriteAndPlan(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "a", "b", "job")
	files := []File{{Path: "x/y.txt", Data: []byte("y"), Mode: 0o644}, {Path: "l", Link: "x/y.txt"}}
	if err := Write(target, files, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "l")); string(b) != "y" {
		t.Errorf("link reads %q", b)
	}
	if _, err := Plan(target, files, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("Plan on a non-empty target: %v", err)
	}
	acts, err := Plan(target, files, true)
	if err != nil || len(acts) != 2 || !acts[0].Overwrite {
		t.Errorf("Plan --force: %v %v", acts, err)
	}
	// A device, a FIFO or a link where the template has a regular file is
	// refused before anything is written.
	fifo := filepath.Join(target, "x", "y.txt")
	if err := errors.Join(os.Remove(fifo), syscall.Mkfifo(fifo, 0o644)); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, files, true); err == nil || !strings.Contains(err.Error(), "refusing to replace it") {
		t.Errorf("Write --force over a FIFO: %v", err)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", err)
	}
	// A failure part-way leaves nothing, parents included.
	bad := filepath.Join(root, "c", "job")
	if err := Write(bad, []File{{Path: "f", Data: []byte("1")}, {Path: "f/g", Data: []byte("2")}}, false); err == nil {
		t.Fatal("want an error")
	}
	if _, err := os.Stat(filepath.Join(root, "c")); !os.IsNotExist(err) {
		t.Errorf("failed Write left %s/c: %v", root, err)
	}
}

func TestPackageDirs(t *testing.T) {
	got := PackageDirs([]File{{Path: "main.go"}, {Path: "a/b/c.go"}, {Path: "a/x.txt"}, {Path: "vendor/m/p.go"}, {Path: "a/b/d.go"}})
	if fmt.Sprint(got) != "[a/b]" {
		t.Errorf("PackageDirs = %v", got)
	}
}

// BenchmarkRender renders a project the size of the sweep template with
// its vendored files (the hot path of `new`).
func BenchmarkRender(b *testing.B) {
	var src []File
	for i := range 500 {
		src = append(src, File{Path: fmt.Sprintf("vendor/p%d/f.go", i), Data: make([]byte, 20<<10)})
	}
	for i := range 10 {
		src = append(src, File{Path: fmt.Sprintf("t%d.sh.tmpl", i), Data: []byte(strings.Repeat("echo [[.Name]]\n", 100))})
	}
	for b.Loop() {
		if _, err := Render(src, params{"job"}); err != nil {
			b.Fatal(err)
		}
	}
}
