package unpack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type ent struct{ name, body, link string }

func tgz(t testing.TB, es ...ent) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		}
		tw.WriteHeader(h)
		tw.Write([]byte(e.body))
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func TestArchiveStripsTop(t *testing.T) {
	files, err := Archive(tgz(t, ent{name: "t-1.0/a.txt", body: "a"}, ent{name: "t-1.0/d/b.txt", body: "b"}), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Path != "a.txt" || files[1].Path != "d/b.txt" {
		t.Errorf("files: %+v", files)
	}
}

func TestArchiveRefuses(t *testing.T) {
	for name, arc := range map[string][]byte{
		"dotdot":     tgz(t, ent{name: "a/../../x", body: "x"}),
		"absolute":   tgz(t, ent{name: "/etc/x", body: "x"}),
		"link out":   tgz(t, ent{name: "l", link: "../x"}),
		"under link": tgz(t, ent{name: "d", link: "."}, ent{name: "d/f", body: "x"}),
		"twice":      tgz(t, ent{name: "a", body: "1"}, ent{name: "./a", body: "2"}),
		"garbage":    []byte("not an archive"),
	} {
		if _, err := Archive(arc, Limits{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Archive(tgz(t, ent{name: "a", body: "1"}, ent{name: "b", body: "2"}), Limits{MaxFiles: 1}); err == nil {
		t.Error("MaxFiles not enforced")
	}
	if _, err := Archive(tgz(t, ent{name: "a", body: "12345"}), Limits{MaxBytes: 4}); err == nil {
		t.Error("MaxBytes not enforced")
	}
}

func TestDir(t *testing.T) {
	d := t.TempDir()
	os.MkdirAll(filepath.Join(d, "sub", ".git"), 0o755)
	os.MkdirAll(filepath.Join(d, ".git"), 0o755)
	os.WriteFile(filepath.Join(d, ".git", "HEAD"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(d, "sub", "run.sh"), []byte("#!/bin/sh"), 0o755)
	os.Symlink("sub/run.sh", filepath.Join(d, "l"))
	files, err := Dir(d, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Path)
		if f.Path == "sub/run.sh" && f.Mode&0o100 == 0 {
			t.Error("executable bit lost")
		}
	}
	if strings.Join(names, " ") != "l sub sub/run.sh" {
		t.Errorf("Dir: %v", names)
	}
	os.Symlink("/etc", filepath.Join(d, "out"))
	if _, err := Dir(d, Limits{}); err == nil {
		t.Error("a link to /etc was accepted")
	}
}

// BenchmarkArchive reads a 500-file template archive into memory.
func BenchmarkArchive(b *testing.B) {
	var es []ent
	for i := range 500 {
		es = append(es, ent{name: fmt.Sprintf("t/d%d/f%d.go", i%20, i), body: strings.Repeat("x", 4096)})
	}
	arc := tgz(b, es...)
	b.SetBytes(int64(len(arc)))
	for b.Loop() {
		if _, err := Archive(arc, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
