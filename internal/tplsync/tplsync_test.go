package tplsync

import (
	"os"
	"path/filepath"
	"testing"
)

// bundle is the module bundle the tests of this repository embed.
const bundle = "../../templates/_bundle"

// TestBundleIsCurrent fails when the module bundle differs from what
// `go generate ./templates` makes now (an example, the SDK or a module
// version changed since), or is missing. It makes the bundle afresh
// (offline, from the module cache) and compares every file.
func TestBundleIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs go mod tidy and go mod vendor per template")
	}
	if _, err := os.Stat(bundle); err != nil {
		t.Fatalf("no module bundle (%v): run `make build` (or go generate ./templates)", err)
	}
	fresh := filepath.Join(t.TempDir(), "bundle")
	skipped, err := Make(Dirs{Examples: "../../examples", SDK: "../../sdk", Templates: "../../templates"}, fresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range skipped {
		t.Logf("skipped %s", s)
	}
	diff, err := Diff(bundle, fresh)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range diff {
		if i == 10 {
			break
		}
		t.Errorf("templates/_bundle/%s is not what the generator makes now", p)
	}
	if len(diff) > 0 {
		t.Errorf("%d file(s) differ: run `make build` (or go generate ./templates)", len(diff))
	}
}

// TestSyncKeepsCurrent: Sync writes a missing bundle, then leaves a current
// one alone, and the two runs make the same tree.
func TestSyncKeepsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs go mod tidy and go mod vendor per template")
	}
	d := Dirs{Examples: "../../examples", SDK: "../../sdk", Templates: "../../templates", Out: filepath.Join(t.TempDir(), "b")}
	if _, changed, err := Sync(d); err != nil || !changed {
		t.Fatalf("first Sync: changed %v, %v", changed, err)
	}
	if _, changed, err := Sync(d); err != nil || changed {
		t.Errorf("second Sync: changed %v, %v", changed, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(d.Out)); len(ents) != 1 {
		t.Errorf("Sync left %d entries beside the bundle, want only it", len(ents))
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
