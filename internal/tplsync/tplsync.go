// Package tplsync makes mpichan-init's module bundle (templates/_bundle,
// ignored by git) from the repository: the Go files and description of the
// templates made from examples/, and for every template its go.mod, go.sum
// and vendor/modules.txt, plus the union of the vendored module files (the
// SDK included) that generated projects carry, so that they build offline.
// `go generate ./templates` runs it; `make build` runs that.
package tplsync

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mpichan/mpichan/templates"
)

// Dirs are the directories Sync reads and writes.
type Dirs struct {
	Examples  string // examples/ (its go.mod and go.sum give the versions)
	SDK       string // sdk/, vendored into every template
	Templates string // templates/, whose hand-written templates are read
	Out       string // the bundle directory, written
}

// Sync makes the bundle and puts it at d.Out in one rename, or leaves d.Out
// as it is when it is already current (changed is false then). It returns
// what it skipped and why.
func Sync(d Dirs) (skipped []string, changed bool, err error) {
	next, old := d.Out+".new", d.Out+".old"
	for _, dir := range []string{next, old} { // left by an interrupted run
		if err := os.RemoveAll(dir); err != nil {
			return nil, false, err
		}
	}
	if skipped, err = Make(d, next); err != nil {
		os.RemoveAll(next)
		return nil, false, err
	}
	diff, err := Diff(next, d.Out)
	if err != nil || len(diff) == 0 {
		return skipped, false, firstErr(err, os.RemoveAll(next))
	}
	if err := os.Rename(d.Out, old); err != nil && !os.IsNotExist(err) {
		return nil, false, firstErr(err, os.RemoveAll(next))
	}
	if err := os.Rename(next, d.Out); err != nil {
		return nil, false, err
	}
	return skipped, true, os.RemoveAll(old)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Make writes the bundle into dir, which it creates.
func Make(d Dirs, dir string) (skipped []string, err error) {
	union := map[string][]byte{}
	for _, name := range templateNames(d.Templates) {
		src, desc, err := Expected(d.Examples, name)
		if err != nil {
			return nil, err
		}
		out := filepath.Join(dir, templates.Templates, name)
		if _, fromExample := templates.FromExamples[name]; fromExample {
			if src == nil {
				skipped = append(skipped, name+": "+desc)
				continue
			}
			if err := writeGoFiles(out, src, desc); err != nil {
				return nil, err
			}
		} else if src, err = ownGoFiles(filepath.Join(d.Templates, name)); err != nil {
			return nil, err
		}
		mod, err := Modules(d, src)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
		for file, data := range map[string][]byte{
			"go.mod.tmpl":        mod.GoMod,
			"go.sum.raw":         mod.GoSum,
			templates.ModulesTxt: mod.ModulesTxt,
		} {
			if err := os.WriteFile(filepath.Join(out, file), data, 0o644); err != nil {
				return nil, err
			}
		}
		for p, data := range mod.Vendor {
			union[p] = data
		}
	}
	return skipped, writeUnion(filepath.Join(dir, templates.Vendor), union)
}

// templateNames lists the templates: the hand-written directories of dir
// with a template.txt, and the ones made from examples.
func templateNames(dir string) []string {
	seen := map[string]bool{}
	for name := range templates.FromExamples {
		seen[name] = true
	}
	metas, _ := filepath.Glob(filepath.Join(dir, "*", templates.Meta))
	for _, m := range metas {
		seen[filepath.Base(filepath.Dir(m))] = true
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// writeGoFiles writes the Go files and description of a template made
// from an example.
func writeGoFiles(dir string, want map[string][]byte, desc string) error {
	for file, data := range want {
		p := filepath.Join(dir, file)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, templates.Meta), []byte(desc+"\n"), 0o644)
}

// ownGoFiles reads the Go files of a hand-written template (main.go.tmpl,
// ...), keyed as Expected keys them.
func ownGoFiles(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".go.tmpl") || strings.HasSuffix(p, ".go.raw") {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = data
		}
		return nil
	})
	return out, err
}

// Expected returns the Go files (template path → content) and description
// that template name should have, made from its example (the helpers the
// examples share are the SDK's package jobkit, which projects import). When name is not made from an example, or the example does not
// exist, it returns nil files and the reason as desc.
func Expected(examplesDir, name string) (map[string][]byte, string, error) {
	ex, ok := templates.FromExamples[name]
	if !ok {
		return nil, "not made from an example", nil
	}
	src := filepath.Join(examplesDir, ex)
	if st, err := os.Stat(src); err != nil || !st.IsDir() {
		return nil, "example " + src + " does not exist yet", nil
	}
	gos, err := filepath.Glob(filepath.Join(src, "*.go"))
	if err != nil {
		return nil, "", err
	}
	want := map[string][]byte{}
	desc := "Made from examples/" + ex + "."
	for _, f := range gos {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, "", err
		}
		file := filepath.Base(f) + ".raw"
		want[file] = data
		if d := packageSentence(string(data)); d != "" && filepath.Base(f) == "main.go" {
			desc = d
		}
	}
	if len(want) == 0 {
		return nil, "example " + src + " has no Go files yet", nil
	}
	return want, desc, nil
}

// packageSentence returns the first sentence of a file's package comment,
// without its leading "Command NAME".
func packageSentence(src string) string {
	var text []string
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(line, "//") {
			break
		}
		l := strings.TrimSpace(strings.TrimPrefix(line, "//"))
		if l == "" {
			break
		}
		text = append(text, l)
	}
	s := strings.Join(text, " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if f := strings.Fields(s); len(f) > 2 && f[0] == "Command" {
		s = strings.Join(f[2:], " ")
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// goCmd runs the go command in dir, offline, outside any workspace.
func goCmd(dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %v\n%s(run `make setup` or `go mod download` in examples/ and sdk/ first: this runs offline)", strings.Join(args, " "), err, out.String())
	}
	return nil
}
