package tplsync

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// tree maps every file under dir to its content.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSyncIsCurrent fails when the templates differ from what
// `go generate ./templates` makes now: an example, the SDK or a module
// version changed since. It runs the generator into a copy of templates/
// (offline, from the module cache) and compares every file.
func TestSyncIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs go mod tidy and go mod vendor per template")
	}
	have := tree(t, "../../templates")
	tmp := t.TempDir()
	for p, b := range have {
		f := filepath.Join(tmp, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		os.WriteFile(f, b, 0o644)
	}
	skipped, err := Sync(Dirs{Examples: "../../examples", SDK: "../../sdk", Templates: tmp})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range skipped {
		t.Logf("skipped %s", s)
	}
	want := tree(t, tmp)
	n := 0
	for p, b := range want {
		if !bytes.Equal(have[p], b) {
			n++
			if n <= 10 {
				t.Errorf("templates/%s is not what the generator makes now", p)
			}
		}
	}
	for p := range have {
		if _, ok := want[p]; !ok {
			n++
			if n <= 10 {
				t.Errorf("templates/%s should not exist any more", p)
			}
		}
	}
	if n > 0 {
		t.Errorf("%d file(s) differ: run go generate ./templates", n)
	}
}

func TestPackageSentence(t *testing.T) {
	for src, want := range map[string]string{
		"// Command sweep runs a sweep over all ranks. More.\npackage main": "Runs a sweep over all ranks.",
		"// Package x does y.\npackage x":                                   "Package x does y.",
		"package main":                                                      "",
	} {
		if got := packageSentence(src); got != want {
			t.Errorf("packageSentence(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestForLinux(t *testing.T) {
	for name, c := range map[string]struct {
		data string
		want bool
	}{
		"x/zsys_darwin_amd64.go": {"package x", false},
		"x/sys_windows.go":       {"package x", false},
		"x/sys_linux_arm64.s":    {"", true},
		"x/any.go":               {"//go:build windows || plan9\n\npackage x", false},
		"x/unix.go":              {"//go:build unix && !amd64\n\npackage x", true},
		"x/ign.go":               {"//go:build ignore\n\npackage main", false},
		"x/LICENSE":              {"", true},
		"x/.gitignore":           {"", false},
	} {
		if got := forLinux(name, []byte(c.data)); got != c.want {
			t.Errorf("forLinux(%s) = %v, want %v", name, got, c.want)
		}
	}
}
